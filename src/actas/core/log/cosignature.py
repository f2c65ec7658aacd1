"""Witness cosignatures: C2SP ``tlog-cosignature``, the Ed25519 ``cosignature/v1`` type.

A cosignature is one more signature line on a signed checkpoint note::

    — <witness name> base64(key ID (4) || timestamp (8, big-endian) || Ed25519 signature (64))

* the key ID is ``SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]`` (0x04 is the
  signed-note type of ``cosignature/v1``; a log's own key uses 0x01);
* the signature is Ed25519 (RFC 8032) over the message::

      cosignature/v1\\n
      time <timestamp in ASCII decimal, no leading zeros>\\n
      <the whole checkpoint body, extension lines included, with its final newline>

* the timestamp is POSIX seconds and at most 2^63 − 1.

Witness keys travel as vkeys ``<name>+<8 hex>+<base64(0x04 || public key)>``; a plain
Ed25519 note vkey (type 0x01) is accepted as the same key, as Go's
``transparency-dev/formats/note.VKeyToCosignatureV1`` does. This module is pure: the
timestamp is an argument. Malformed input raises :class:`~actas.core.errors.ProofError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp

__all__ = [
    "ALG_COSIGNATURE_V1",
    "MAX_TIMESTAMP",
    "Cosignature",
    "CosignatureVerifier",
    "QuorumResult",
    "WitnessStatus",
    "add_cosignatures",
    "check_quorum",
    "cosign",
    "cosignature_key_id",
    "cosignature_message",
    "cosignatures",
    "split_note",
]

#: signed-note signature type byte of an Ed25519 ``cosignature/v1``.
ALG_COSIGNATURE_V1 = 0x04
#: Largest timestamp a cosignature may carry.
MAX_TIMESTAMP = (1 << 63) - 1

_SIG_PREFIX = "\u2014 "
_KEY_SIZE = 32
_BLOB_SIZE = 4 + 8 + 64


def _b64decode(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ProofError(f"{what} is not valid base64") from exc
    if base64.b64encode(data).decode("ascii") != text:
        raise ProofError(f"{what} is not canonical base64")
    return data


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4], checking the name like a note key."""
    cp.Verifier(name, public_key)  # same name and length rules as any note key
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """The bytes a witness signs: the two header lines, then the checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ProofError(f"cosignature timestamp {timestamp} is out of range")
    cp.Checkpoint.parse(body)  # only a well-formed checkpoint is ever cosigned
    return b"cosignature/v1\ntime " + str(timestamp).encode("ascii") + b"\n" + body


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness's public key: its name and 32-byte Ed25519 key."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        cp.Verifier(self.name, self.public_key)

    @property
    def key_id(self) -> bytes:
        return cosignature_key_id(self.name, self.public_key)

    @classmethod
    def from_signer(cls, signer: cp.Signer) -> CosignatureVerifier:
        return cls(signer.name, signer.public_key)

    @classmethod
    def from_text(cls, text: str) -> CosignatureVerifier:
        """Parse a vkey of type 0x04 (or an Ed25519 note vkey of type 0x01), checking its ID."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise ProofError("witness key is not of the form name+hash+key")
        name, hash_hex, material = parts
        raw = _b64decode(material, "witness key material")
        if len(raw) != 1 + _KEY_SIZE:
            raise ProofError(f"witness key material has {len(raw)} bytes, expected 33")
        if raw[0] == cp.ALG_ED25519:
            want = cp.key_id(name, raw[1:]).hex()
        elif raw[0] == ALG_COSIGNATURE_V1:
            want = cosignature_key_id(name, raw[1:]).hex()
        else:
            raise ProofError(f"witness key has unsupported signature type 0x{raw[0]:02x}")
        if hash_hex != want:
            raise ProofError(
                f"witness key hash {hash_hex!r} does not match its name and key ({want})"
            )
        return cls(name, raw[1:])

    def to_text(self) -> str:
        material = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, body: bytes, cosig: Cosignature) -> bool:
        """True if ``cosig`` is this witness's valid cosignature of the checkpoint ``body``."""
        if cosig.name != self.name or cosig.key_id != self.key_id:
            return False
        message = cosignature_message(body, cosig.timestamp)
        return cp.Verifier(self.name, self.public_key).verify(message, cosig.signature)


@dataclass(frozen=True)
class Cosignature:
    """One parsed cosignature line."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def line(self) -> str:
        """The signature line, ending in a newline."""
        blob = self.key_id + self.timestamp.to_bytes(8, "big") + self.signature
        return f"{_SIG_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"

    @classmethod
    def parse(cls, line: str) -> Cosignature:
        """Parse ``— name base64(...)`` (with or without its newline) as a cosignature."""
        name, blob = _parse_line(line.removesuffix("\n"))
        if len(blob) != _BLOB_SIZE:
            raise ProofError(
                f"signature by {name} has {len(blob)} bytes, a cosignature/v1 has {_BLOB_SIZE}"
            )
        timestamp = int.from_bytes(blob[4:12], "big")
        if timestamp > MAX_TIMESTAMP:
            raise ProofError(f"cosignature by {name} has timestamp {timestamp}, above 2^63-1")
        return cls(name, blob[:4], timestamp, blob[12:])


def _parse_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(_SIG_PREFIX):
        raise ProofError(f"signature line {line[:40]!r} does not start with an em dash and a space")
    name, _, text = line[len(_SIG_PREFIX) :].partition(" ")
    cp.Verifier(name, bytes(_KEY_SIZE))  # name rules only
    blob = _b64decode(text, f"signature line of {name}")
    if len(blob) < 5:
        raise ProofError(f"signature line of {name} has {len(blob)} bytes, too short")
    return name, blob


def cosign(body: bytes, signer: cp.Signer, timestamp: int) -> Cosignature:
    """The witness ``signer``'s cosignature of the checkpoint ``body`` at ``timestamp``."""
    message = cosignature_message(body, timestamp)
    return Cosignature(
        signer.name,
        cosignature_key_id(signer.name, signer.public_key),
        timestamp,
        signer.sign(message),
    )


def split_note(note: bytes) -> tuple[bytes, list[str]]:
    """A signed note's text and its signature lines (without newlines), checked for form."""
    if len(note) > cp.MAX_NOTE_SIZE:
        raise ProofError(f"note has {len(note)} bytes, more than {cp.MAX_NOTE_SIZE}")
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProofError(f"note is not valid UTF-8 (byte {exc.start})") from exc
    split = text.rfind("\n\n")
    if split < 0:
        raise ProofError("note has no blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block or not block.endswith("\n"):
        raise ProofError("note's signature lines are missing or do not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > cp.MAX_SIGNATURES:
        raise ProofError(f"note has {len(lines)} signatures, more than {cp.MAX_SIGNATURES}")
    for line in lines:
        _parse_line(line)
    return body.encode("utf-8"), lines


def cosignatures(note: bytes) -> list[Cosignature]:
    """Every signature line of ``note`` shaped like a cosignature/v1 (76 bytes)."""
    _, lines = split_note(note)
    found = []
    for line in lines:
        _, blob = _parse_line(line)
        if len(blob) == _BLOB_SIZE:
            found.append(Cosignature.parse(line))
    return found


def add_cosignatures(note: bytes, new: Iterable[Cosignature | str]) -> bytes:
    """``note`` with the cosignatures ``new`` added after its signatures.

    A cosignature by a key (name and key ID) already on the note replaces the older one
    when its timestamp is later, and is dropped otherwise; other lines keep their order.
    """
    body, lines = split_note(note)
    out = list(lines)
    for item in new:
        cosig = item if isinstance(item, Cosignature) else Cosignature.parse(item)
        line = cosig.line().removesuffix("\n")
        same = [
            i for i, old in enumerate(out)
            if (c := _maybe_cosignature(old)) is not None
            and (c.name, c.key_id) == (cosig.name, cosig.key_id)
        ]  # fmt: skip
        if not same:
            out.append(line)
        elif (
            old_cosig := _maybe_cosignature(out[same[0]])
        ) and cosig.timestamp > old_cosig.timestamp:
            out[same[0]] = line
    if len(out) > cp.MAX_SIGNATURES:
        raise ProofError(f"note would have {len(out)} signatures, more than {cp.MAX_SIGNATURES}")
    return body + b"\n" + "".join(line + "\n" for line in out).encode("utf-8")


def _maybe_cosignature(line: str) -> Cosignature | None:
    try:
        return Cosignature.parse(line)
    except ProofError:
        return None


@dataclass(frozen=True)
class WitnessStatus:
    """What a note says for one trusted witness: cosigned at ``timestamp``, or why not."""

    name: str
    key: str  # the witness's vkey text
    timestamp: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class QuorumResult:
    quorum: int
    witnesses: tuple[WitnessStatus, ...]

    @property
    def cosigned(self) -> tuple[WitnessStatus, ...]:
        return tuple(w for w in self.witnesses if w.ok)

    @property
    def missing(self) -> tuple[WitnessStatus, ...]:
        return tuple(w for w in self.witnesses if not w.ok)

    @property
    def ok(self) -> bool:
        return len(self.cosigned) >= self.quorum


def check_quorum(
    note: bytes, witnesses: Sequence[CosignatureVerifier], quorum: int
) -> QuorumResult:
    """Which of ``witnesses`` validly cosigned the checkpoint ``note``; ok with ``quorum``.

    A witness counts once; its lines that do not verify make it missing, with the reason.
    """
    if not 0 <= quorum <= len(witnesses):
        raise ProofError(f"quorum {quorum} needs between 0 and {len(witnesses)} witnesses")
    keys = {(w.name, w.key_id) for w in witnesses}
    if len(keys) != len(witnesses):
        raise ProofError("the same witness key is given twice")
    body, _ = split_note(note)
    cp.Checkpoint.parse(body)
    found = cosignatures(note)
    status = []
    for w in witnesses:
        mine = [c for c in found if (c.name, c.key_id) == (w.name, w.key_id)]
        good = [c.timestamp for c in mine if w.verify(body, c)]
        if good:
            status.append(WitnessStatus(w.name, w.to_text(), max(good), None))
        elif mine:
            status.append(
                WitnessStatus(w.name, w.to_text(), None, "its cosignature does not verify")
            )
        else:
            status.append(
                WitnessStatus(w.name, w.to_text(), None, "no cosignature by this witness")
            )
    return QuorumResult(quorum, tuple(status))
