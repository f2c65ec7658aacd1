"""The one order of ids: table ids and region codes alike, by the bytes of their UTF-8.

Pure. Every file Actas publishes that lists tables or regions lists them in this
order (``docs/log-format.md``, "Order of ids"): ``a`` comes before ``b`` when the
UTF-8 encoding of ``a`` is less than that of ``b``, byte by byte, a prefix first.
UTF-8 was designed so that this is also the order of Unicode code points, which is
how Python compares ``str`` and numpy compares ``U`` arrays, how SQLite's ``BINARY``
and PostgreSQL's ``"C"`` collations compare text, and how Go and Rust compare
strings: an independent verifier needs no collation table and no locale.

A region is ordered by its own code, never by where its tables fall: with the
tables ``X b#1`` and ``X#1``, the table ``X b#1`` comes first (a space is 0x20,
``#`` is 0x23) but the region ``X`` comes before the region ``X b`` (a prefix first).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["id_array", "id_key", "id_order", "is_sorted", "sort_ids"]


def id_key(ident: str) -> bytes:
    """The sort key of one id: its UTF-8 bytes (``surrogatepass``, so that even an
    unpaired surrogate has a place)."""
    return ident.encode("utf-8", "surrogatepass")


def sort_ids(ids: Iterable[str]) -> list[str]:
    """``ids`` in the canonical order.

    Python compares ``str`` by code points, which is the UTF-8 byte order (a unit
    test checks the two on random text); timsort is linear on input that is sorted
    already, so re-sorting what a database returned in order costs one pass.
    """
    return sorted(ids)


def is_sorted(ids: Sequence[str]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(ids))


def id_array(ids: Sequence[str]) -> NDArray[Any]:
    """The ids as a numpy array that compares (``<``, ``argsort``, ``searchsorted``)
    in the canonical order.

    A ``U`` array compares code points, but numpy drops trailing NUL characters, so
    ids holding NUL (never valid, but input is input) are compared as their UTF-8
    bytes shifted up by one (byte ``c`` becomes the character ``c + 1``): the same
    order, without NUL.
    """
    if "\x00" not in "".join(ids):
        return np.array(ids, dtype=str)
    return np.array(["".join(chr(c + 1) for c in id_key(t)) for t in ids], dtype=str)


def id_order(ids: Sequence[str]) -> NDArray[np.intp]:
    """The stable permutation that puts ``ids`` in the canonical order."""
    if len(ids) < 2:
        return np.arange(len(ids), dtype=np.intp)
    return np.argsort(id_array(ids), kind="stable")
