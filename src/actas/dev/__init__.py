"""For demos, tests and benchmarks: synthetic acta photos (``synth``, ``degradation``,
``synthset``) and the demo election (``demo``).
"""
