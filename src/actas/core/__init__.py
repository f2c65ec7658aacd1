"""The pure core: bytes, ints and frozen dataclasses in and out.

No files, sockets, database, clock, randomness or environment: time, seeds and keys are
arguments. Imports only the standard library (minus I/O), other core modules, numpy,
scipy and cryptography — ``tests/test_layers.py`` fails otherwise.

- ``errors``, ``model``, ``definitions`` (election definitions and import mappings),
  ``payload`` (acta QR payloads), ``layout`` (the A4 sheet's geometry)
- ``results/`` rows → submissions → rules → reconcile → tally
- ``log/`` leaves, sealed entries, the Merkle tree, signed checkpoints
- ``bundle/`` the open-data bundle's files, rendered and compared
- ``verify/`` the verifier: re-derive everything from the leaves
- ``audit/`` sampling and risk-limiting audits; ``forensics/`` statistical screens
"""
