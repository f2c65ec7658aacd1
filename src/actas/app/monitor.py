"""``actas log monitor URL``: follow a log from outside and keep the evidence when it lies.

The log is read where anyone can read it: a portal (``/api/v1/checkpoint``,
``/api/v1/proof/consistency``) or a static mirror written by ``actas publish``
(``checkpoint.txt``, and the bundle's ``downloads/leaves.txt`` from which the monitor
recomputes the tree itself). Each checkpoint must open with the log's key — pinned with
``--key``, or else taken from the first ``verifier.pub`` seen and pinned from then on —
and extend the last one seen (:func:`actas.core.log.monitor.judge`). The monitor's
folder holds ``state.json`` (the key and the last checkpoint, written atomically) and
``evidence/`` (one JSON file per contradiction: both signed notes, and the proof).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from actas.adapters.tlog_http import Reply, get
from actas.adapters.witness_files import write_atomic
from actas.core.errors import InputError, NotFound, ProofError, StoreError
from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co
from actas.core.log import merkle
from actas.core.log.monitor import Observation, Seen, judge

__all__ = ["Monitor", "Poll"]


@dataclass(frozen=True)
class Poll:
    observation: Observation
    evidence_file: Path | None
    witnesses: co.QuorumResult | None

    def summary(self) -> str:
        o = self.observation
        c = o.seen.checkpoint
        if o.evidence is not None:
            return f"{o.kind.upper()}: {o.evidence.detail}; evidence in {self.evidence_file}"
        text = {"first": "first checkpoint", "same": "unchanged", "grew": "grew, consistent"}
        line = f"{text[o.kind]}: size {c.size}, root {c.root_hash.hex()}"
        if self.witnesses is not None:
            names = ", ".join(w.name for w in self.witnesses.cosigned) or "none"
            line += f"; cosigned by {names}"
        return line


def _fail(reply: Reply, what: str) -> NotFound:
    why = reply.error or f"HTTP {reply.status}"
    return NotFound(f"cannot fetch {what}: {why}")


class Monitor:
    def __init__(self, url: str, folder: Path, key: str | None = None,
                 witnesses: list[str] | None = None, quorum: int | None = None,
                 timeout: float = 10.0) -> None:  # fmt: skip
        self.url = url.rstrip("/")
        self.folder = folder
        self.timeout = timeout
        self.pinned = None if key is None else _log_key(key)
        self.witnesses = [co.CosignatureVerifier.from_text(w) for w in witnesses or []]
        self.quorum = len(self.witnesses) if quorum is None else quorum

    # ----------------------------------------------------------------- state

    def _state(self) -> dict[str, str]:
        try:
            data = json.loads((self.folder / "state.json").read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read the monitor state: {exc}") from None
        if data.get("url") not in (None, self.url):
            raise InputError(f"{self.folder} follows {data['url']}, not {self.url}")
        return dict(data)

    def _save(self, key: cp.Verifier, seen: Seen) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"url": self.url, "key": key.to_text(), "note": seen.note.decode("utf-8")}, indent=1
        )
        write_atomic(self.folder / "state.json", text.encode("utf-8") + b"\n")

    # ----------------------------------------------------------------- fetching

    def _get(self, path: str) -> Reply:
        return get(f"{self.url}/{path}", self.timeout)

    def _note(self) -> bytes:
        reply = self._get("checkpoint.txt")
        if reply.status == 200:
            return reply.body
        api = self._get("api/v1/checkpoint")
        if api.status != 200:
            raise _fail(api, f"the checkpoint of {self.url}")
        try:
            return str(json.loads(api.body)["note"]).encode("utf-8")
        except (ValueError, KeyError, TypeError) as exc:
            raise ProofError(f"{self.url}/api/v1/checkpoint is not a checkpoint: {exc}") from None

    def _proof(self, old: int, new: cp.Checkpoint) -> list[bytes] | None:
        reply = self._get(f"api/v1/proof/consistency?old={old}&new={new.size}")
        if reply.status == 200:
            try:
                return [bytes.fromhex(h) for h in json.loads(reply.body)["proof"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise ProofError(
                    f"the consistency proof of {self.url} is malformed: {exc}"
                ) from None
        leaves = self._get("downloads/leaves.txt")
        if leaves.status != 200:
            return None
        # a static mirror: rebuild the tree from the published leaves
        try:
            hashes = [merkle.leaf_hash(base64.b64decode(line, validate=True))
                      for line in leaves.body.split(b"\n") if line]  # fmt: skip
        except binascii.Error:
            raise ProofError(f"{self.url}/downloads/leaves.txt is not base64 lines") from None
        if len(hashes) < new.size:
            raise ProofError(f"the mirror publishes {len(hashes)} leaves, fewer than {new.size}")
        nodes = merkle.MemoryNodes(hashes[: new.size])
        if merkle.root(new.size, nodes) != new.root_hash:
            raise ProofError("the mirror's leaves do not have its checkpoint's root")
        return merkle.consistency_proof(old, new.size, nodes)

    # ----------------------------------------------------------------- one poll

    def poll(self) -> Poll:
        state = self._state()
        key = self.pinned
        if key is None and "key" in state:
            key = cp.Verifier.from_text(state["key"])
        if key is None:
            reply = self._get("verifier.pub")
            if reply.status != 200:
                raise _fail(reply, "the log's key (give --key)")
            key = _log_key(reply.body.decode("ascii", "replace").strip())
        if "key" in state and state["key"] != key.to_text():
            raise InputError(f"the monitor pinned {state['key']}, not {key.to_text()}")
        note = self._note()
        new = Seen(cp.open_checkpoint(note, key), note)
        last = None
        if "note" in state:
            old_note = state["note"].encode("utf-8")
            last = Seen(cp.open_checkpoint(old_note, key), old_note)
        proof = None
        if last is not None and new.checkpoint.size > last.checkpoint.size:
            proof = self._proof(last.checkpoint.size, new.checkpoint)
        observation = judge(last, new, proof)
        evidence_file = None
        if observation.evidence is not None:
            folder = self.folder / "evidence"
            folder.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256(observation.evidence.newer).hexdigest()[:16]
            evidence_file = folder / f"{observation.kind}-{digest}.json"
            body = json.dumps(observation.evidence.to_json(), ensure_ascii=False, indent=1)
            write_atomic(evidence_file, body.encode("utf-8") + b"\n")
        self._save(key, observation.seen)
        quorum = None
        if self.witnesses:
            quorum = co.check_quorum(note, self.witnesses, self.quorum)
        return Poll(observation, evidence_file, quorum)


def _log_key(text: str) -> cp.Verifier:
    path = Path(text)
    if path.is_file():
        text = path.read_text("ascii").strip()
    try:
        return cp.Verifier.from_text(text)
    except ProofError as exc:
        raise InputError(f"bad log key {text[:60]!r}: {exc}") from None
