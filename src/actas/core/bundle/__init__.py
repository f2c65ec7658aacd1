"""The open-data bundle: its files and their canonical rendering (``format``, the public
face of ``paths``, ``canonical``, ``counts``, ``tables``, ``manifest`` and ``readme``; ``render``) and
the comparison of a published file with its re-derivation (``compare``).
"""
