"""Reproducible sampling of tables from a public seed, with SHA-256 tickets.

Everything here is a pure function of a seed string and a published sampling
frame (the table ids, and for stratified or PPEB samples the strata or weights
that follow from published data). The byte-level procedure is specified in
``docs/audit.md`` so that anyone can recompute a sample without this code;
``tests/integration/recompute_sample.py`` does exactly that.

In short:

* the seed is normalised by deleting ASCII whitespace; what is left must be
  printable ASCII (``!`` to ``~``);
* a table's ticket for draw number ``d`` is the SHA-256 digest, read as a
  256-bit big-endian integer, of ``actas-audit-v1 LF ticket LF seed LF table_id
  LF d``;
* a sample without replacement of size ``k`` is the ``k`` tables with the
  smallest tickets for draw number 1 (ties, never seen in practice, are broken
  by table id);
* a PPEB draw ``j`` (with replacement, probability proportional to weight)
  hashes ``actas-audit-v1 LF ppeb LF seed LF j`` into ``r`` and picks the first
  table, in byte order of table ids, whose cumulative weight share exceeds
  ``r / 2**256``, compared exactly with integers.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from actas.core.errors import InputError

__all__ = [
    "Draw",
    "frame_bytes",
    "frame_sha256",
    "normalize_seed",
    "ppeb_sample",
    "sample",
    "stratified_sample",
    "ticket",
]

#: first field of every hashed message; bump it if the procedure ever changes
DOMAIN = "actas-audit-v1"
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
_HASH_BITS = 256


@dataclass(frozen=True, slots=True)
class Draw:
    """One drawn table.

    ``number`` is the 1-based position in the sample (in a PPEB sample, the draw
    number ``j``); ``ticket`` is the 256-bit integer that put it there: the
    table's ticket for a sample without replacement, the draw's random number
    ``r`` for a PPEB sample.
    """

    number: int
    table_id: str
    ticket: int

    @property
    def fraction(self) -> float:
        """The ticket as a number in [0, 1), for display only."""
        return self.ticket / (1 << _HASH_BITS)


def normalize_seed(seed: str) -> str:
    """Delete ASCII whitespace; the rest must be non-empty printable ASCII.

    ``"1234 5678\\n9012"`` becomes ``"123456789012"``. Case and every other
    character are kept as they are. Raises :class:`InputError` otherwise.
    """
    out = "".join(ch for ch in seed if ch not in _ASCII_WHITESPACE)
    if not out:
        raise InputError("the seed is empty")
    bad = sorted({ch for ch in out if not _printable(ch)})
    if bad:
        raise InputError(f"the seed has characters outside printable ASCII: {bad!r}")
    return out


def ticket(seed: str, table_id: str, draw: int = 1) -> int:
    """The SHA-256 ticket of one table for one draw number (see module docstring)."""
    if draw < 1:
        raise InputError(f"draw numbers start at 1, got {draw}")
    _check_label(table_id, "table id")
    msg = _ticket_prefix(normalize_seed(seed)) + f"{table_id}\n{draw}".encode("ascii")
    return int.from_bytes(hashlib.sha256(msg).digest(), "big")


def frame_bytes(table_ids: Iterable[str], strata: Mapping[str, str] | None = None) -> bytes:
    """Canonical bytes of a sampling frame, to be committed before the seed is known.

    One line per table, sorted by the bytes of the table id, each line ended by
    LF. Without ``strata`` a line is the table id; with ``strata`` (table id ->
    stratum label) it is ``table_id SP stratum``. Ids and labels are printable
    ASCII without spaces; duplicates are an error.
    """
    ids = _sorted_frame(table_ids)
    if strata is None:
        return "".join(f"{t}\n" for t in ids).encode("ascii")
    lines = []
    for t in ids:
        label = strata.get(t)
        if label is None:
            raise InputError(f"table {t} has no stratum")
        _check_label(label, "stratum label")
        lines.append(f"{t} {label}\n")
    return "".join(lines).encode("ascii")


def frame_sha256(table_ids: Iterable[str], strata: Mapping[str, str] | None = None) -> str:
    """Lower-case hex SHA-256 of :func:`frame_bytes`."""
    return hashlib.sha256(frame_bytes(table_ids, strata)).hexdigest()


def sample(seed: str, table_ids: Iterable[str], k: int, *, draw: int = 1) -> tuple[Draw, ...]:
    """The ``k`` tables with the smallest tickets, in ticket order (without replacement).

    A sample of size ``k`` is a prefix of the sample of size ``k + 1``, so a
    sample can be enlarged later without redrawing. ``draw`` selects an
    independent ordering from the same seed (1 for a first sample).
    """
    if k < 0:
        raise InputError(f"sample size must be >= 0, got {k}")
    ids = _sorted_frame(table_ids)
    digests = _digests(normalize_seed(seed), ids, draw)
    chosen = _smallest(digests, np.arange(len(ids)), k)
    return tuple(
        Draw(n, ids[i], int.from_bytes(digests[32 * i : 32 * i + 32], "big"))
        for n, i in enumerate(chosen, start=1)
    )


def stratified_sample(
    seed: str,
    strata: Mapping[str, str],
    sizes: Mapping[str, int],
    *,
    draw: int = 1,
) -> dict[str, tuple[Draw, ...]]:
    """Per stratum, the ``sizes[stratum]`` tables with the smallest tickets.

    ``strata`` maps every table id of the frame to its stratum label. Tickets
    are the same as for :func:`sample`, so a stratum's sample is what
    :func:`sample` would give on that stratum alone. A stratum missing from
    ``sizes`` gets no tables; a size larger than the stratum takes all of it.
    """
    ids = _sorted_frame(strata)
    labels = [strata[t] for t in ids]
    names = sorted(set(labels))
    unknown = sorted(set(sizes) - set(names))
    if unknown:
        raise InputError(f"sizes given for strata with no tables: {unknown}")
    if any(n < 0 for n in sizes.values()):
        raise InputError("stratum sample sizes must be >= 0")
    for label in names:
        _check_label(label, "stratum label")
    digests = _digests(normalize_seed(seed), ids, draw)
    code = {label: i for i, label in enumerate(names)}
    inverse = np.fromiter(map(code.__getitem__, labels), dtype=np.int64, count=len(labels))
    order = np.argsort(inverse, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(names)))[:-1])
    out: dict[str, tuple[Draw, ...]] = {}
    for label, members in zip(names, groups, strict=True):
        chosen = _smallest(digests, members, sizes.get(label, 0))
        out[label] = tuple(
            Draw(n, ids[i], int.from_bytes(digests[32 * i : 32 * i + 32], "big"))
            for n, i in enumerate(chosen, start=1)
        )
    return out


def ppeb_sample(
    seed: str,
    weights: Mapping[str, int | Fraction],
    n: int,
    *,
    start: int = 1,
) -> tuple[Draw, ...]:
    """Draws ``start`` .. ``start + n - 1`` with replacement, probability ∝ weight.

    Weights are non-negative integers or fractions (exact; never floats) and
    must not all be zero. Tables of weight zero are never drawn. Draw ``j``
    depends only on the seed, ``j`` and the weights, so later draws extend an
    earlier sample (pass ``start = previous n + 1``).
    """
    if n < 0 or start < 1:
        raise InputError("need n >= 0 and start >= 1")
    ids = _sorted_frame(weights)
    ints = _integer_weights([weights[t] for t in ids])
    cumulative = list(itertools.accumulate(ints))
    total = cumulative[-1] if cumulative else 0
    if total <= 0:
        raise InputError("PPEB needs at least one table with a positive weight")
    prefix = f"{DOMAIN}\nppeb\n{normalize_seed(seed)}\n".encode("ascii")
    out = []
    for j in range(start, start + n):
        r = int.from_bytes(hashlib.sha256(prefix + str(j).encode("ascii")).digest(), "big")
        # first i with r / 2**256 < C_i / total  <=>  floor(r * total / 2**256) < C_i
        i = bisect.bisect_right(cumulative, (r * total) >> _HASH_BITS)
        out.append(Draw(j, ids[i], r))
    return tuple(out)


# -- internals -------------------------------------------------------------------------


def _printable(ch: str) -> bool:
    return "!" <= ch <= "~"


def _check_label(label: str, what: str) -> None:
    if not label or not all(_printable(ch) for ch in label):
        raise InputError(f"{what} {label!r} must be non-empty printable ASCII without spaces")


def _sorted_frame(table_ids: Iterable[str]) -> list[str]:
    ids = sorted(table_ids)  # code-point order == byte order for ASCII
    for a, b in itertools.pairwise(ids):
        if a == b:
            raise InputError(f"table {a} appears twice in the frame")
    joined = "".join(ids)
    if (ids and not ids[0]) or not (joined.isascii() and joined.isprintable()) or " " in joined:
        for t in ids:
            _check_label(t, "table id")
    return ids


def _ticket_prefix(seed_n: str) -> bytes:
    return f"{DOMAIN}\nticket\n{seed_n}\n".encode("ascii")


def _digests(seed_n: str, ids: list[str], draw: int) -> bytes:
    """Concatenated 32-byte ticket digests of ``ids`` (in that order)."""
    if draw < 1:
        raise InputError(f"draw numbers start at 1, got {draw}")
    prefix = _ticket_prefix(seed_n).decode("ascii")
    sha = hashlib.sha256
    return b"".join([sha(f"{prefix}{t}\n{draw}".encode("ascii")).digest() for t in ids])


def _smallest(digests: bytes, index: np.ndarray, k: int) -> list[int]:
    """Indices (into the frame) of the ``k`` smallest tickets among ``index``.

    Candidates are found with the leading 64 bits in numpy; the exact order is
    then decided on the full 256-bit digests (ties by frame position, that is by
    table id), so the result is exact.
    """
    if k <= 0 or index.size == 0:
        return []
    head = np.frombuffer(digests, dtype=">u8").reshape(-1, 4)[:, 0][index]
    if k < index.size:
        cutoff = np.partition(head, k - 1)[k - 1]
        index = index[head <= cutoff]
    ranked = sorted(index.tolist(), key=lambda i: (digests[32 * i : 32 * i + 32], i))
    return ranked[:k]


def _integer_weights(weights: list[int | Fraction]) -> list[int]:
    """Scale exact weights to integers with a common denominator (order kept)."""
    den = 1
    for w in weights:
        if isinstance(w, float) or not isinstance(w, numbers.Rational):
            raise InputError(f"weights must be int or Fraction, got {type(w).__name__}")
        if w < 0:
            raise InputError(f"weights must be >= 0, got {w}")
        if isinstance(w, Fraction) and w.denominator != 1:
            den = math.lcm(den, w.denominator)
    if den == 1:
        return [int(w) for w in weights]
    return [w.numerator * (den // w.denominator) for w in map(Fraction, weights)]
