from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.elections import load_builtin
from actas.tally import TableArrays, tally_all

E = load_builtin("ve-2024")
K = len(E.candidates)

tables = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.integers(1, 3),
        st.integers(1, 2),
        st.integers(1, 3),
        st.integers(1, 4),
        st.booleans(),
        st.integers(-1, 900),
        st.integers(-1, 20),
        st.lists(st.integers(0, 400), min_size=K, max_size=K),
    ),
    max_size=60,
    unique_by=lambda t: t[:5],
)


def arrays(rows: list) -> TableArrays:  # type: ignore[type-arg]
    ids = [f"{a:02d}{b:02d}{c:02d}{d:03d}.{e:02d}" for a, b, c, d, e, *_ in rows]
    return TableArrays(
        ids,
        np.array([r[5] for r in rows], dtype=np.bool_),
        np.array([r[6] for r in rows], dtype=np.int64),
        np.array([r[7] for r in rows], dtype=np.int64),
        np.array([r[8] for r in rows], dtype=np.int64).reshape(len(rows), K),
    )


@settings(max_examples=60, deadline=None)
@given(tables)
def test_children_sum_to_parent(rows: list) -> None:  # type: ignore[type-arg]
    out = tally_all(E, arrays(rows))
    nation = out[-1][0]
    for level in range(len(E.levels)):
        regions = out[level]
        assert sum(r.valid for r in regions) == nation.valid
        assert sum(r.null for r in regions) == nation.null
        assert tuple(map(sum, zip(*(r.votes for r in regions), strict=True))) == (
            nation.votes if regions else ()
        )
        assert sum(r.tables_reported for r in regions) == nation.tables_reported
        assert sum(r.registered for r in regions) == nation.registered
        if level:
            parents = {r.code: r for r in out[level - 1]}
            acc: dict[str, int] = {}
            for r in regions:
                p = E.scheme.parent_of(r.code)
                assert p in parents
                acc[p] = acc.get(p, 0) + r.valid
            assert all(acc.get(code, 0) == p.valid for code, p in parents.items())
    assert nation.tables_counted == sum(1 for r in rows if r[5])
    assert nation.valid == sum(sum(r[8]) for r in rows if r[5])


@settings(max_examples=30, deadline=None)
@given(tables, st.randoms(use_true_random=False))
def test_order_does_not_matter(rows: list, rnd: object) -> None:  # type: ignore[type-arg]
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert tally_all(E, arrays(rows)) == tally_all(E, arrays(shuffled))
