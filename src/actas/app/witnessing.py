"""The log's side of witnessing: which witnesses it asks, and collecting their cosignatures.

The witnesses are kept in ``<home>/witnesses.json`` (name, submission URL, cosignature
vkey, and the size each last cosigned, which is the ``old`` size of the next request).
:func:`collect` sends the latest checkpoint to every witness at once, each bounded by a
time-out, with a consistency proof from the size that witness holds; a witness that
answers ``409`` with another size it holds is asked once more from that size. Valid
cosignatures are added to the stored checkpoint note, so the portal, the static mirror
and the bundle publish the cosigned checkpoint. A witness that is down, slow or refuses
is reported and never blocks the log.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from actas.adapters.tlog_http import Reply, post
from actas.adapters.witness_files import write_atomic
from actas.core.errors import InputError, NotFound, ProofError, StoreError
from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co
from actas.core.log.witness import SIZE_TYPE, AddCheckpoint

if TYPE_CHECKING:
    from actas.app.service import Service

__all__ = [
    "Asked",
    "WitnessEntry",
    "add_witness",
    "bundle_quorum",
    "collect",
    "load_witnesses",
]

WITNESSES_FILE = "witnesses.json"


@dataclass(frozen=True)
class WitnessEntry:
    name: str
    url: str
    vkey: str
    size: int = 0  # the tree size this witness last cosigned for us

    def key(self) -> co.CosignatureVerifier:
        return co.CosignatureVerifier.from_text(self.vkey)


def load_witnesses(home: Path) -> list[WitnessEntry]:
    path = home / WITNESSES_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    try:
        return [WitnessEntry(**item) for item in data["witnesses"]]
    except (KeyError, TypeError) as exc:
        raise StoreError(f"{path} is damaged: {exc}") from None


def _save(home: Path, entries: Sequence[WitnessEntry]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"witnesses": [asdict(e) for e in entries]}, indent=1) + "\n"
    write_atomic(home / WITNESSES_FILE, text.encode("utf-8"))


def add_witness(home: Path, name: str, url: str, vkey: str) -> WitnessEntry:
    """Record a witness (replacing one of the same name); checks the URL and the key."""
    if not url.startswith(("http://", "https://")):
        raise InputError(f"witness URL {url!r} must start with http:// or https://")
    try:
        key = co.CosignatureVerifier.from_text(vkey)
    except ProofError as exc:
        raise InputError(f"bad witness key: {exc}") from None
    entries = [e for e in load_witnesses(home) if e.name != name]
    if any(e.key() == key for e in entries):
        raise InputError(f"the key of {key.name!r} is already recorded for another witness")
    entry = WitnessEntry(name, url.rstrip("/"), key.to_text())
    _save(home, [*entries, entry])
    return entry


@dataclass(frozen=True)
class Asked:
    """What one witness answered."""

    name: str
    ok: bool
    detail: str
    size: int | None = None  # the size it holds after this exchange, when known


def _proof(svc: Service, old: int, new: int) -> tuple[bytes, ...]:
    return tuple(bytes.fromhex(h) for h in svc.log.consistency(old, new)["proof"])


def _held_size(reply: Reply) -> int | None:
    if reply.status != 409 or not reply.content_type.startswith(SIZE_TYPE):
        return None
    text = reply.body.decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def collect(svc: Service, note: str, *, timeout: float = 5.0) -> tuple[str, list[Asked]]:
    """Ask every configured witness to cosign ``note``; store and return the cosigned note."""
    home = svc.settings.home
    entries = load_witnesses(home)
    if not entries:
        return note, []
    raw = note.encode("utf-8")
    body, _ = co.split_note(raw)
    checkpoint = cp.Checkpoint.parse(body)
    n = checkpoint.size

    def ask(entry: WitnessEntry, old: int) -> Reply:
        request = AddCheckpoint(old, _proofs[(entry.name, old)], raw).encode()
        return post(entry.url + "/add-checkpoint", request, timeout)

    _proofs: dict[tuple[str, int], tuple[bytes, ...]] = {}
    olds = {e.name: e.size if e.size <= n else 0 for e in entries}
    for e in entries:
        _proofs[(e.name, olds[e.name])] = _proof(svc, olds[e.name], n)
    with ThreadPoolExecutor(max_workers=len(entries)) as pool:
        replies = dict(zip([e.name for e in entries],
                           pool.map(lambda e: ask(e, olds[e.name]), entries), strict=True))  # fmt: skip
        again = []
        for e in entries:
            held = _held_size(replies[e.name])
            if held is not None and held != olds[e.name] and held <= n:
                olds[e.name] = held
                _proofs[(e.name, held)] = _proof(svc, held, n)
                again.append(e)
        for e, reply in zip(again, pool.map(lambda e: ask(e, olds[e.name]), again), strict=True):
            replies[e.name] = reply
    found: list[co.Cosignature] = []
    asked: list[Asked] = []
    updated = []
    for e in entries:
        result = _judge(e, replies[e.name], body, n)
        asked.append(result)
        if result.ok:
            found.extend(_valid(e, replies[e.name], body))
        updated.append(replace(e, size=result.size) if result.size is not None else e)
    _save(home, updated)
    if found:
        stored = svc.log.latest_checkpoint()
        if stored is None or stored[0] != n:
            raise NotFound(f"no stored checkpoint of size {n} to add cosignatures to")
        note = co.add_cosignatures(stored[2].encode("utf-8"), found).decode("utf-8")
        svc.log.store.set_checkpoint_note(n, note)
    return note, asked


def _valid(entry: WitnessEntry, reply: Reply, body: bytes) -> list[co.Cosignature]:
    key = entry.key()
    out = []
    for line in reply.body.decode("utf-8", "replace").splitlines():
        try:
            cosig = co.Cosignature.parse(line)
        except ProofError:
            continue
        if key.verify(body, cosig):
            out.append(cosig)
    return out


def _judge(entry: WitnessEntry, reply: Reply, body: bytes, size: int) -> Asked:
    if reply.status == 0:
        return Asked(entry.name, False, reply.error)
    text = reply.body.decode("utf-8", "replace").strip()[:300]
    if reply.status == 200:
        if _valid(entry, reply, body):
            return Asked(entry.name, True, "cosigned", size)
        return Asked(entry.name, False, "answered 200 without a valid cosignature by its key")
    held = _held_size(reply)
    if held is not None and held > size:
        return Asked(
            entry.name, False,
            f"it holds size {held}, above this checkpoint's {size}: a rollback or another view "
            "of this log was shown to it",
        )  # fmt: skip
    if held is not None:
        return Asked(
            entry.name, False, f"409: it holds size {held} with another root (a fork?)", held
        )
    return Asked(entry.name, False, f"{reply.status}: {text}")


def bundle_quorum(bundle: Path, keys: Sequence[str], quorum: int | None) -> co.QuorumResult:
    """Which of the witness ``keys`` (vkey texts or files) cosigned a bundle's checkpoint."""
    witnesses = []
    for item in keys:
        path = Path(item)
        text = item
        if path.is_file():
            try:
                text = path.read_text("ascii").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read the witness key file {path}: {exc}") from None
        try:
            witnesses.append(co.CosignatureVerifier.from_text(text))
        except ProofError as exc:
            raise InputError(f"bad witness key {text[:60]!r}: {exc}") from None
    note = _bundle_checkpoint(bundle)
    k = len(witnesses) if quorum is None else quorum
    if not 0 <= k <= len(witnesses):
        raise InputError(f"--quorum {k} needs between 0 and {len(witnesses)} --witness keys")
    return co.check_quorum(note, witnesses, k)


def _bundle_checkpoint(bundle: Path) -> bytes:
    name = "checkpoint.txt"
    try:
        if bundle.is_file() and zipfile.is_zipfile(bundle):
            with zipfile.ZipFile(bundle) as z:
                match = [i for i in z.namelist() if i == name or i.endswith("/" + name)]
                if not match:
                    raise NotFound(f"{bundle} holds no {name}")
                return z.read(min(match, key=len))
        return (bundle / name).read_bytes()
    except OSError as exc:
        raise NotFound(f"cannot read the checkpoint of {bundle}: {exc.strerror}") from None
