"""Signed tree heads: C2SP ``tlog-checkpoint`` bodies inside C2SP ``signed-note``\\s.

A checkpoint body is three or more lines, each ending in a newline (U+000A)::

    <origin>                  the log's identity, e.g. "actas.example/2024-presidential"
    <tree size>               ASCII decimal, no leading zeros ("0" for the empty tree)
    <root hash>               standard base64 (RFC 4648 §4) of the 32-byte RFC 9162 root
    [<extension line> ...]    optional, opaque, non-empty

A signed note is that text, a blank line, then one signature line per key::

    — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>

where the dash is the em dash U+2014 and the signature is Ed25519 (RFC 8032)
over the text (including its final newline, excluding the blank line). The key
ID is ``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``.

Keys travel as text, exactly as Go's ``golang.org/x/mod/sumdb/note`` writes them::

    verifier key  <name>+<8 lowercase hex of the key ID>+<base64(0x01 || public key)>
    signer key    PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || 32-byte seed)>

Key names are non-empty and contain no Unicode space, no ``+`` and no control
character. This module is pure: a seed is an argument (the app draws it from
``os.urandom(32)``) and Ed25519 signing is deterministic, so every output here
is a known answer. Everything malformed or unverifiable raises
:class:`~actas.core.errors.ProofError` saying exactly what is wrong.

Parsing is strict where the specifications leave room: base64 must be canonical
(it must re-encode to the same text), the root hash must be 32 bytes, sizes fit
in 64 bits, and a note may carry at most :data:`MAX_SIGNATURES` signatures in
at most :data:`MAX_NOTE_SIZE` bytes. Signatures by keys other than the
verifier's (witness cosignatures, a rotated key) are ignored, as the signed-note
specification requires; every signature by the verifier's key must verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from actas.core.errors import ProofError

__all__ = [
    "ALG_ED25519",
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "MAX_TREE_SIZE",
    "Checkpoint",
    "Signer",
    "Verifier",
    "generate_signer",
    "key_id",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
    "sign_note",
]

#: signed-note signature type byte for Ed25519.
ALG_ED25519 = 0x01
#: Largest note accepted by :func:`open_note`, in bytes.
MAX_NOTE_SIZE = 1 << 20
#: Most signature lines accepted in one note (the spec asks for at least 16).
MAX_SIGNATURES = 100
#: Largest tree size a checkpoint may state (an unsigned 64-bit integer).
MAX_TREE_SIZE = (1 << 64) - 1

_ROOT_HASH_SIZE = 32
_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_SIG_PREFIX = "\u2014 "  # em dash, space
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


# --------------------------------------------------------------------------- text helpers


def _check_name(name: str, what: str = "key name") -> None:
    if not name:
        raise ProofError(f"{what} is empty")
    for char in name:
        if char.isspace():
            raise ProofError(f"{what} {name!r} contains a space (U+{ord(char):04X})")
        if char == "+":
            raise ProofError(f"{what} {name!r} contains '+'")
        if ord(char) < 0x20:
            raise ProofError(f"{what} {name!r} contains a control character")


def _check_line(line: str, what: str) -> None:
    """A line of note text: non-empty, no newline, no control character."""
    if not line:
        raise ProofError(f"{what} is empty")
    for char in line:
        if ord(char) < 0x20:
            raise ProofError(f"{what} {line!r} contains control character U+{ord(char):04X}")


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Decode canonical standard base64, or raise ProofError."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ProofError(f"{what} is not valid base64") from exc
    if _b64encode(data) != text:
        raise ProofError(f"{what} is not canonical base64")
    return data


def _decode_text(data: bytes, what: str) -> str:
    """UTF-8 without control characters other than newline (signed-note §Format)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProofError(f"{what} is not valid UTF-8 (byte {exc.start})") from exc
    for position, char in enumerate(text):
        if ord(char) < 0x20 and char != "\n":
            raise ProofError(
                f"{what} contains control character U+{ord(char):04X} at character {position}"
            )
    return text


# --------------------------------------------------------------------------- keys


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte signed-note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    _check_name(name)
    if len(public_key) != _KEY_SIZE:
        raise ProofError(f"Ed25519 public key has {len(public_key)} bytes, expected {_KEY_SIZE}")
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    ).digest()[:4]


def _split_key(text: str, what: str) -> tuple[str, str, bytes]:
    """Split ``name+hash+base64`` and decode the key material (type byte, key)."""
    parts = text.split("+", 2)  # the base64 itself may contain '+'
    if len(parts) != 3:
        raise ProofError(f"{what} is not of the form name+hash+key")
    name, hash_hex, material = parts
    _check_name(name)
    if not _HEX8.fullmatch(hash_hex):
        raise ProofError(f"{what} hash {hash_hex!r} is not 8 lowercase hex digits")
    raw = _b64decode(material, f"{what} material")
    if len(raw) != 1 + _KEY_SIZE:
        raise ProofError(f"{what} material has {len(raw)} bytes, expected {1 + _KEY_SIZE}")
    if raw[0] != ALG_ED25519:
        raise ProofError(f"{what} has unknown signature type 0x{raw[0]:02x}")
    return name, hash_hex, raw[1:]


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier key: a name and a 32-byte public key."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != _KEY_SIZE:
            raise ProofError(
                f"Ed25519 public key has {len(self.public_key)} bytes, expected {_KEY_SIZE}"
            )

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that prefixes this key's signatures."""
        return key_id(self.name, self.public_key)

    @classmethod
    def from_text(cls, text: str) -> Verifier:
        """Parse ``<name>+<8 hex>+<base64(0x01 || key)>``, checking the key ID."""
        name, hash_hex, public_key = _split_key(text, "verifier key")
        verifier = cls(name, public_key)
        if verifier.key_id.hex() != hash_hex:
            raise ProofError(
                f"verifier key hash {hash_hex} does not match its name and key "
                f"({verifier.key_id.hex()})"
            )
        return verifier

    def to_text(self) -> str:
        """Encode as ``<name>+<8 hex>+<base64(0x01 || key)>``."""
        material = _b64encode(bytes([ALG_ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if ``signature`` is this key's Ed25519 signature of ``message``."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer key: a name and the 32-byte RFC 8032 private seed."""

    name: str
    seed: bytes = field(repr=False)
    public_key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.seed) != _KEY_SIZE:
            raise ProofError(f"Ed25519 seed has {len(self.seed)} bytes, expected {_KEY_SIZE}")
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        object.__setattr__(self, "public_key", private.public_key().public_bytes_raw())

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that prefixes this key's signatures."""
        return key_id(self.name, self.public_key)

    def verifier(self) -> Verifier:
        """The matching public verifier key."""
        return Verifier(self.name, self.public_key)

    @classmethod
    def from_text(cls, text: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || seed)>``, checking the key ID."""
        if not text.startswith(_PRIVATE_PREFIX):
            raise ProofError("signer key does not start with PRIVATE+KEY+")
        name, hash_hex, seed = _split_key(text[len(_PRIVATE_PREFIX) :], "signer key")
        signer = cls(name, seed)
        if signer.key_id.hex() != hash_hex:
            raise ProofError(
                f"signer key hash {hash_hex} does not match its name and key "
                f"({signer.key_id.hex()})"
            )
        return signer

    def to_text(self) -> str:
        """Encode as ``PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || seed)>`` (a secret)."""
        material = _b64encode(bytes([ALG_ED25519]) + self.seed)
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{material}"

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic)."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def generate_signer(name: str, seed: bytes) -> Signer:
    """A signer for ``name`` from a 32-byte seed; pass ``os.urandom(32)`` for a new key."""
    return Signer(name, seed)


# --------------------------------------------------------------------------- notes


def _check_note_text(text: bytes) -> str:
    decoded = _decode_text(text, "note text")
    if not decoded.endswith("\n"):
        raise ProofError("note text does not end with a newline")
    return decoded


def sign_note(text: bytes, signer: Signer) -> bytes:
    """Sign ``text`` (UTF-8, ending in a newline) and return the signed note."""
    _check_note_text(text)
    blob = _b64encode(signer.key_id + signer.sign(text))
    return text + b"\n" + f"{_SIG_PREFIX}{signer.name} {blob}\n".encode()


def open_note(note: bytes, verifier: Verifier) -> bytes:
    """Check ``note`` is signed by ``verifier`` and return its text.

    Signatures by other keys are ignored; every signature by this key (same
    name and key ID) must verify, and there must be at least one.
    """
    if len(note) > MAX_NOTE_SIZE:
        raise ProofError(f"note has {len(note)} bytes, more than {MAX_NOTE_SIZE}")
    decoded = _decode_text(note, "note")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise ProofError("note has no blank line before its signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block:
        raise ProofError("note has no signature lines")
    if not block.endswith("\n"):
        raise ProofError("note's last signature line does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise ProofError(f"note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    want_id = verifier.key_id
    verified = 0
    others: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise ProofError(f"signature line {number} does not start with an em dash and a space")
        name, _, blob = line[len(_SIG_PREFIX) :].partition(" ")
        _check_name(name, f"signature line {number} key name")
        raw = _b64decode(blob, f"signature line {number}")
        if len(raw) < 5:
            raise ProofError(f"signature line {number} has {len(raw)} bytes, too short")
        if name != verifier.name or raw[:4] != want_id:
            others.append(f"{name}+{raw[:4].hex()}")
            continue
        if not verifier.verify(text.encode("utf-8"), raw[4:]):
            raise ProofError(f"signature by {name}+{want_id.hex()} does not verify")
        verified += 1
    if not verified:
        seen = ", ".join(others)
        raise ProofError(
            f"note has no signature by the known key {verifier.name}+{want_id.hex()} "
            f"(signed by unknown keys: {seen})"
        )
    return text.encode("utf-8")


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement: at ``size`` leaves, its root is ``root_hash``."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ProofError(f"checkpoint tree size {self.size} is out of range")
        if len(self.root_hash) != _ROOT_HASH_SIZE:
            raise ProofError(
                f"checkpoint root hash has {len(self.root_hash)} bytes, expected {_ROOT_HASH_SIZE}"
            )
        for number, line in enumerate(self.extensions, start=1):
            _check_line(line, f"checkpoint extension line {number}")

    def body(self) -> bytes:
        """The note text: origin, size, base64 root and extension lines, each + newline."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines).encode("utf-8")

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        """Parse a checkpoint body (the note text, without signatures), strictly."""
        text = _decode_text(body, "checkpoint")
        if not text.endswith("\n"):
            raise ProofError("checkpoint does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise ProofError(f"checkpoint has {len(lines)} lines, needs at least 3")
        for number, line in enumerate(lines, start=1):
            if not line:
                raise ProofError(f"checkpoint line {number} is empty")
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.fullmatch(size_text):
            raise ProofError(
                f"checkpoint tree size {size_text!r} is not a decimal without leading zeros"
            )
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise ProofError(f"checkpoint tree size {size_text} does not fit in 64 bits")
        root_hash = _b64decode(root_text, "checkpoint root hash")
        return cls(origin, size, root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> bytes:
    """The signed note for ``checkpoint``: its body, a blank line, one signature line.

    The key name SHOULD equal the origin (tlog-checkpoint); it is not enforced.
    """
    return sign_note(checkpoint.body(), signer)


def open_checkpoint(note: bytes, verifier: Verifier, *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint note and parse it.

    With ``origin`` given, the checkpoint must also be for that log.
    """
    checkpoint = Checkpoint.parse(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise ProofError(f"checkpoint is for origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
