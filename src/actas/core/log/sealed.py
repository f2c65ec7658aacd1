"""A volunteer's entry sealed under a secret salt: the raw bytes of a TRANSCRIPTION leaf.

Specified in ``docs/log-format.md`` ("Transcription entries")::

    raw = salt || canonical_json(entry + {"pad": spaces})

``salt`` is 32 random bytes drawn by the app for this entry alone; ``entry`` is
the entry's JSON object (table, counts, time, actor …) and ``pad`` a string of
spaces that makes ``len(raw)`` a multiple of :data:`PAD_BLOCK`. The leaf holds
only ``SHA-256(raw)`` and ``len(raw)`` (:func:`actas.core.log.leaf.inline_raw`), so it
commits to the entry without revealing it: without the salt nobody can test a
guess of the counts against the hash, and the length (the same for every entry
of an election under :data:`PAD_BLOCK` bytes) says nothing about the digits.
The raw bytes — salt and entry — are published once the entry's photo is
settled; anyone then checks them against the leaf's hash.

Pure: the salt is an argument.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from actas.core.log.leaf import canonical_json

__all__ = ["PAD_BLOCK", "SALT_LEN", "seal", "unseal"]

SALT_LEN = 32
PAD_BLOCK = 1024


def seal(salt: bytes, entry: Mapping[str, Any]) -> bytes:
    """The raw bytes committing to ``entry`` under ``salt`` (padded; see the module)."""
    if len(salt) != SALT_LEN:
        raise ValueError(f"a salt is {SALT_LEN} bytes, not {len(salt)}")
    if "pad" in entry:
        raise ValueError("an entry has no member 'pad' of its own")
    unpadded = SALT_LEN + len(canonical_json({**entry, "pad": ""}))
    spaces = -unpadded % PAD_BLOCK
    return salt + canonical_json({**entry, "pad": " " * spaces})


def unseal(raw: bytes) -> tuple[bytes, dict[str, Any]]:
    """(salt, entry) of sealed raw bytes; ValueError unless ``raw == seal(salt, entry)``."""
    if len(raw) <= SALT_LEN or len(raw) % PAD_BLOCK:
        raise ValueError(f"sealed bytes are a positive multiple of {PAD_BLOCK} bytes long")
    salt, body = raw[:SALT_LEN], raw[SALT_LEN:]
    try:
        entry = json.loads(body.decode("ascii"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the entry is not ASCII JSON: {exc}") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("pad"), str):
        raise ValueError("the entry is not a JSON object with a member 'pad'")
    del entry["pad"]
    if seal(salt, entry) != raw:
        raise ValueError("the entry is not in canonical form or not padded exactly")
    return salt, entry


def _no_float(text: str) -> Any:
    raise ValueError(f"floats are not allowed in canonical JSON: {text[:20]}")
