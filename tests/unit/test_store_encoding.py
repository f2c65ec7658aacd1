"""Values the SQL store writes directly instead of through json/numpy."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from actas.adapters.store.rows import counts_json as _counts_json
from actas.adapters.store.rows import pack_votes
from actas.core.model import Counts


@given(
    votes=st.lists(st.integers(0, 10**6), min_size=1, max_size=5),
    options=st.one_of(st.none(), st.lists(st.integers(0, 10**6), max_size=40).map(tuple)),
    extra=st.lists(st.one_of(st.none(), st.integers(0, 10**7)), min_size=5, max_size=5),
)
def test_counts_json_is_the_sorted_json_of_the_counts(
    votes: list[int], options: tuple[int, ...] | None, extra: list[int | None]
) -> None:
    c = Counts(tuple(votes), options, *extra)
    assert _counts_json(c) == json.dumps(c.to_json(), separators=(",", ":"), sort_keys=True)


@given(st.lists(st.integers(0, 2**62), max_size=12))
def test_packed_votes_are_little_endian_int64(votes: list[int]) -> None:
    assert pack_votes(votes) == np.asarray(votes, dtype="<i8").tobytes()
