"""The open-data bundle: its files and their canonical rendering (``format``, ``render``) and
the comparison of a published file with its re-derivation (``compare``).
"""
