"""The append-only transparency log over a store (``actas.adapters.store.LogStore``).

Leaves are the canonical bytes of submissions (``leaf``); the tree is kept as
perfect subtree hashes (``merkle``); checkpoints are signed notes
(``checkpoint``). Keys: the signer key is made at ``actas init`` and kept in
``$ACTAS_HOME/keys/signer.key`` (mode 0600); the verifier key is public.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from actas.adapters.store.protocol import LogStore
from actas.core.errors import NotFound, ProofError, StoreError
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.log.leaf import encode_leaves
from actas.core.model import Election, Submission

__all__ = ["Log"]


class Log:
    """The log of one election: appending leaves, its root, signed checkpoints, proofs.

    ``store`` is any :class:`LogStore`: the SQL store, or the in-memory fake in tests.
    """

    def __init__(
        self, store: LogStore[Any], election: Election, origin: str, keys_dir: Path
    ) -> None:
        self.store = store
        self.election = election
        self._origin = origin
        self.signer_key_file = keys_dir / "signer.key"
        self.verifier_key_file = keys_dir / "verifier.pub"

    # ----------------------------------------------------------------- keys

    @property
    def origin(self) -> str:
        return self._origin or f"actas.example/{self.election.id}"

    @property
    def key_name(self) -> str:
        return self.origin

    def ensure_keys(self) -> None:
        """Make the checkpoint key pair once; the private key readable only by its owner."""
        key_file = self.signer_key_file
        if key_file.exists():
            return
        key_file.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(key_file.parent, 0o700)
        signer = cp.generate_signer(self.key_name, os.urandom(32))
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(signer.to_text() + "\n")
        self.verifier_key_file.write_text(signer.verifier().to_text() + "\n", "ascii")
        self.store.set_meta("verifier_key", signer.verifier().to_text())

    def signer(self) -> cp.Signer:
        try:
            text = self.signer_key_file.read_text("ascii").strip()
        except OSError as exc:
            raise StoreError(f"cannot read the signer key: {exc.strerror}") from None
        return cp.Signer.from_text(text)

    def verifier(self) -> cp.Verifier:
        text = self.store.get_meta("verifier_key")
        if text is None:
            raise StoreError("no verifier key: run 'actas init'")
        return cp.Verifier.from_text(text)

    # ----------------------------------------------------------------- appending

    def append(
        self,
        conn: Any,
        subs: Sequence[Submission],
        identities: Sequence[str] | None = None,
    ) -> list[int]:
        """Append inside the caller's ``store.write()`` (atomic with the submissions).
        ``identities``: each submission's ``identity()``, when the caller has them."""
        leaves = encode_leaves(self.election.id, subs)
        return self.store.append(conn, subs, leaves, identities)

    # ----------------------------------------------------------------- reading

    def size(self) -> int:
        return self.store.size()

    def root(self, size: int | None = None) -> bytes:
        with self.store.read() as conn:
            n = self.store.size(conn) if size is None else size
            if n > self.store.size(conn):
                raise NotFound(f"the log has fewer than {n} leaves")
            return merkle.root(n, self.store.node_reader(conn))

    def publish_checkpoint(self, now: str) -> str:
        """Sign and store a checkpoint of the whole log; returns the note text."""
        with self.store.read() as conn:
            size = self.store.size(conn)
            root = merkle.root(size, self.store.node_reader(conn))
        latest = self.store.checkpoint()
        if latest is not None and latest[0] == size:
            return latest[2]
        note = cp.sign_checkpoint(cp.Checkpoint(self.origin, size, root), self.signer())
        text = note.decode("utf-8")
        self.store.add_checkpoint(size, root, text, now)
        return text

    def latest_checkpoint(self) -> tuple[int, bytes, str, str] | None:
        return self.store.checkpoint()

    def inclusion(self, index: int, size: int | None = None) -> dict[str, Any]:
        latest = self.store.checkpoint(size)
        if latest is None:
            raise NotFound("no checkpoint yet: run 'actas log checkpoint'")
        n, root, note, _ = latest
        if not 0 <= index < n:
            raise NotFound(f"leaf {index} is not in the checkpoint of size {n}")
        with self.store.read() as conn:
            proof = merkle.inclusion_proof(index, n, self.store.node_reader(conn))
            sub = self.store.submission(index, conn)
        leaf_hash = merkle.leaf_hash(sub.leaf)
        if not merkle.verify_inclusion(leaf_hash, index, n, proof, root):
            raise ProofError(f"stored tree does not prove leaf {index}: the store is damaged")
        return {
            "leaf_index": index,
            "tree_size": n,
            "leaf_hash": leaf_hash.hex(),
            "leaf": sub.leaf.decode("ascii"),
            "root_hash": root.hex(),
            "proof": [h.hex() for h in proof],
            "checkpoint": note,
        }

    def consistency(self, old: int, new: int) -> dict[str, Any]:
        size = self.store.size()
        if not 0 <= old <= new <= size:
            raise NotFound(f"need 0 <= old <= new <= {size}")
        with self.store.read() as conn:
            reader = self.store.node_reader(conn)
            proof = merkle.consistency_proof(old, new, reader)
            old_root = merkle.root(old, reader)
            new_root = merkle.root(new, reader)
        return {
            "old_size": old,
            "new_size": new,
            "old_root": old_root.hex(),
            "new_root": new_root.hex(),
            "proof": [h.hex() for h in proof],
        }
