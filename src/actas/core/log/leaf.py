"""The canonical bytes of a log leaf: a submission exactly as received.

Specified in ``docs/log-format.md`` ("Leaves")::

    leaf = b"actas-leaf:v1\\n" + canonical_json(entry)

where ``canonical_json`` is JSON with keys sorted, no whitespace, ASCII only
(``\\uXXXX`` escapes), integers only (no floats), and ``entry`` holds:

    v            1
    election     the election id
    kind         record | photo | transcription | decision | event
    received_at  RFC 3339 UTC time of receipt
    source       {"channel", "name"?, "sha256"?, "row"?}
    raw_sha256   hex SHA-256 of the raw bytes
    raw_len      length of the raw bytes
    raw          base64 of the raw bytes, present when raw_len <= 4096
    blob_sha256  hex SHA-256 of the photo, for photos (else absent)
    actor        pseudonymous actor id, for human actions (else absent)
    meta         string -> string/int map of context (else absent)

What was *derived* from the raw bytes (table, counts, findings) is not in the
leaf: it is data about the leaf and can be recomputed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring_ascii as _str
from typing import Any

from actas.core.model import Source, Submission, SubmissionKind

__all__ = [
    "LEAF_PREFIX",
    "MAX_INLINE_RAW",
    "canonical_json",
    "decode_leaf",
    "encode_leaf",
    "encode_leaves",
    "inline_raw",
]

LEAF_PREFIX = b"actas-leaf:v1\n"
MAX_INLINE_RAW = 4096


def inline_raw(kind: str, raw_len: int) -> bool:
    """Whether a leaf carries its raw bytes inline (else only their hash and length).

    Small raw bytes are inline, except a transcription's: a volunteer's entry is
    committed by its hash only, so that nobody (another volunteer transcribing
    the same photo) can read it from the public log; the bundle publishes it.
    """
    return raw_len <= MAX_INLINE_RAW and kind != "transcription"


def _check(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not allowed in canonical JSON")
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{path}: keys must be strings")
            _check(v, f"{path}.{k}")
        return
    raise ValueError(f"{path}: {type(value).__name__} is not allowed in canonical JSON")


def canonical_json(value: Any, check: bool = True) -> bytes:
    """Sorted keys, no whitespace, ASCII only, no floats."""
    if check:
        _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def entry_of(election_id: str, sub: Submission) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "v": 1,
        "election": election_id,
        "kind": str(sub.kind),
        "received_at": sub.received_at,
        "source": sub.source.to_json(),
        "raw_sha256": hashlib.sha256(sub.raw).hexdigest(),
        "raw_len": len(sub.raw),
    }
    if inline_raw(str(sub.kind), len(sub.raw)):
        entry["raw"] = base64.b64encode(sub.raw).decode("ascii")
    if sub.blob_sha256:
        entry["blob_sha256"] = sub.blob_sha256
    if sub.actor:
        entry["actor"] = sub.actor
    if sub.meta:
        meta = dict(sub.meta)
        _check(meta, "meta")
        entry["meta"] = meta
    return entry


def _meta_json(meta: Mapping[str, Any]) -> str | None:
    """The canonical JSON of a plain ``meta`` (str -> str/int); None for anything else."""
    parts = []
    for k in sorted(meta):
        v = meta[k]
        if type(v) is str:
            parts.append(f"{_str(k)}:{_str(v)}")
        elif type(v) is int:
            parts.append(f"{_str(k)}:{v}")
        else:
            return None
    return "{" + ",".join(parts) + "}"


def encode_leaf(election_id: str, sub: Submission) -> bytes:
    """``LEAF_PREFIX + canonical_json(entry_of(election_id, sub))``, built directly.

    Imports encode a leaf per row, so this writes the canonical JSON of the one
    entry shape there is with its keys already in sorted order, instead of
    building a dict for ``json.dumps`` to sort; a property test holds the two
    to the same bytes. Anything unusual in ``meta`` takes the general route.
    """
    meta_json = _meta_json(sub.meta) if sub.meta else ""
    if meta_json is None:  # checked (and refused if need be) by the general route
        return LEAF_PREFIX + canonical_json(entry_of(election_id, sub), check=False)
    raw, kind, src = sub.raw, str(sub.kind), sub.source
    head = _head(election_id, sub.actor, sub.blob_sha256, kind)
    mid, tail = _source(sub.received_at, src.channel, src.name, src.sha256)
    row = "" if src.row is None else f',"row":{int(src.row)}'
    raw_b64 = (
        f'"raw":"{base64.b64encode(raw).decode("ascii")}",' if inline_raw(kind, len(raw)) else ""
    )
    return (
        f'{head}{_meta(meta_json)}{raw_b64}"raw_len":{len(raw)},'
        f'"raw_sha256":"{hashlib.sha256(raw).hexdigest()}",{mid}{row}{tail}'
    ).encode("ascii")


def encode_leaves(election_id: str, subs: Iterable[Submission]) -> list[bytes]:
    """``[encode_leaf(election_id, s) for s in subs]``, faster for an import's rows.

    The rows of one file share everything but their raw bytes, row number and
    meta, so the rest of their leaf (the text before the raw bytes, and around
    the row number) is written once per file; a property test holds this to
    :func:`encode_leaf`. Other submissions take :func:`encode_leaf`.
    """
    frames: dict[tuple[str, str, str, str, str, str, str], tuple[str, str, str]] = {}
    out = []
    b64, sha256 = base64.b64encode, hashlib.sha256
    for sub in subs:
        src, raw, kind = sub.source, sub.raw, sub.kind
        meta_json = _meta_json(sub.meta) if sub.meta else ""
        if (
            src.row is None
            or meta_json is None
            or len(raw) > MAX_INLINE_RAW
            or kind == SubmissionKind.TRANSCRIPTION
        ):
            out.append(encode_leaf(election_id, sub))
            continue
        key = (
            sub.actor,
            sub.blob_sha256,
            str(kind),
            sub.received_at,
            src.channel,
            src.name,
            src.sha256,
        )
        frame = frames.get(key)
        if frame is None:
            actor, blob, kind_, received, channel, name, sha = key
            mid, tail = _source(received, channel, name, sha)
            frame = frames[key] = (_head(election_id, actor, blob, kind_), mid + ',"row":', tail)
        head, mid, tail = frame
        out.append(
            f'{head}{_meta(meta_json)}"raw":"{b64(raw).decode("ascii")}","raw_len":{len(raw)},'
            f'"raw_sha256":"{sha256(raw).hexdigest()}",{mid}{int(src.row)}{tail}'.encode("ascii")
        )
    return out


def _head(election_id: str, actor: str, blob: str, kind: str) -> str:
    """The leaf up to its meta: the prefix and the keys that sort before ``meta``."""
    out = LEAF_PREFIX.decode("ascii") + "{"
    if actor:
        out += f'"actor":{_str(actor)},'
    if blob:
        out += f'"blob_sha256":{_str(blob)},'
    return out + f'"election":{_str(election_id)},"kind":{_str(kind)},'


def _meta(meta_json: str) -> str:
    return f'"meta":{meta_json},' if meta_json else ""


def _source(received: str, channel: str, name: str, sha: str) -> tuple[str, str]:
    """``received_at`` and ``source`` up to where its ``row`` goes, and the rest."""
    mid = f'"received_at":{_str(received)},"source":{{"channel":{_str(channel)}'
    if name:
        mid += f',"name":{_str(name)}'
    return mid, (f',"sha256":{_str(sha)}' if sha else "") + '},"v":1}'


def _no_float(text: str) -> Any:
    raise ValueError(f"floats are not allowed in canonical JSON: {text[:20]}")


# A float (or NaN/Infinity) is refused while parsing, so what parses holds only
# the types canonical_json accepts and the re-encoding needs no separate check.
_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def decode_leaf(data: bytes) -> dict[str, Any]:
    """Parse leaf bytes; raises ValueError unless they are canonical v1 leaf bytes."""
    if not data.startswith(LEAF_PREFIX):
        raise ValueError("leaf does not start with the v1 prefix")
    try:
        body = data[len(LEAF_PREFIX) :].decode("ascii")
        entry = _DECODER.decode(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"leaf body is not ASCII JSON: {exc}") from None
    if not isinstance(entry, dict) or entry.get("v") != 1:
        raise ValueError("leaf body is not a v1 entry")
    if _ENCODER.encode(entry) != body:
        raise ValueError("leaf body is not in canonical form")
    return entry


def source_of(entry: Mapping[str, Any]) -> Source:
    s = entry["source"]
    return Source(s["channel"], s.get("name", ""), s.get("sha256", ""), s.get("row"))


def kind_of(entry: Mapping[str, Any]) -> SubmissionKind:
    return SubmissionKind(entry["kind"])
