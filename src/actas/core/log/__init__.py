"""The append-only log: leaf encoding (``leaf``), sealed entries (``sealed``), the RFC 9162
Merkle tree and its proofs (``merkle``, the public face of ``treehash``, ``nodes``,
``proofs``, ``frontier`` and ``nodestore``), Ed25519-signed C2SP checkpoints (``checkpoint``).
Byte formats in ``docs/log-format.md``.
"""
