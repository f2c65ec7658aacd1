"""Use cases, one module per capability, wiring adapters around the core: importing,
results, publishing, verification, analysis, ``photos/`` (ingest, uploads, the job
queue), ``people/`` (accounts, double entry, review) and ``audits/``. ``settings`` is the
one place that reads the environment.
"""
