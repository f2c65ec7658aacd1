from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.adapters.elections import load_builtin
from actas.core.model import Election
from actas.core.results.tally import (
    Expected,
    Registry,
    TableArrays,
    expected_from_registry,
    fill_registered,
    pack,
    tally_all,
    tally_packed,
)

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


# ------------------------------------------------------------------ against a plain dict tally

RU = load_builtin("ru-2012")


def reference(election: Election, rows: list[Row], expected: dict[str, Expected]) -> list[str]:
    """The tally the slow, obvious way: one dict per region, one table at a time;
    as (code, packed) lines, national first, then level by level by code."""
    k = len(election.candidates)
    acc: dict[tuple[int, str], list[int]] = {}
    for table_id, counted, registered, null, votes in rows:
        null = null if counted and null >= 0 else 0
        valid = sum(votes) if counted else 0
        known = counted and registered >= 0
        add = [1, int(counted), int(not counted), int(known)]
        add += [registered if known else 0, valid + null if known else 0, valid, null]
        add += list(votes) if counted else [0] * k
        codes = [(-1, ""), *enumerate(election.scheme.region_codes(table_id))]
        for key in codes:
            sums = acc.setdefault(key, [0] * (8 + k))
            for i, v in enumerate(add):
                sums[i] += v
    acc.setdefault((-1, ""), [0] * (8 + k))
    exp = {"": Expected(election.expected_tables, election.expected_registered), **expected}
    out = []
    for level, code in sorted(acc):
        r = acc[(level, code)]
        e = exp.get(code, Expected())
        head = [level, *r[:8], -1 if e.tables is None else e.tables]
        head.append(-1 if e.registered is None else e.registered)
        out.append(f"{code}:" + ",".join(map(str, head + r[8:])))
    return out


def reference_expected(election: Election, registry: dict[str, int]) -> dict[str, Expected]:
    acc: dict[str, list[int]] = {}
    for table_id, reg in registry.items():
        try:
            codes = ("", *election.scheme.region_codes(table_id))
        except ValueError:
            continue
        for code in codes:
            a = acc.setdefault(code, [0, 0, 0])
            a[0] += 1
            if reg >= 0:
                a[1] += reg
                a[2] += 1
    return {c: Expected(a[0], a[1] if a[2] == a[0] else None) for c, a in acc.items()}


Row = tuple[str, bool, int, int, tuple[int, ...]]


def to_arrays(rows: list[Row], k: int) -> TableArrays:
    return TableArrays(
        [r[0] for r in rows],
        np.array([r[1] for r in rows], dtype=np.bool_),
        np.array([r[2] for r in rows], dtype=np.int64),
        np.array([r[3] for r in rows], dtype=np.int64),
        np.array([r[4] for r in rows], dtype=np.int64).reshape(len(rows), k),
    )


def counts(k: int) -> st.SearchStrategy[tuple[bool, int, int, tuple[int, ...]]]:
    return st.tuples(
        st.booleans(),
        st.sampled_from([-1, 0, 700, 2**33]),
        st.sampled_from([-1, 0, 5]),
        st.tuples(*[st.sampled_from([0, 1, 300, 2**40]) for _ in range(k)]),
    )


ve_ids = st.builds(
    lambda a, b, c, d, t: f"{a:02d}{b:02d}{c:02d}{d:03d}.{t:02d}",
    *(st.sampled_from([1, 2, 10, 11]) for _ in range(4)),  # tens digits differ too
    st.sampled_from([1, 2, 10]),
)
ru_ids = st.builds(
    lambda a, b, t: f"{a}/{b}#{t}",
    st.sampled_from(["Москва", "Тверская область", "A", "AB", "B"]),
    st.sampled_from(["ТИК 1", "ТИК 10", "2", "x"]),
    st.sampled_from(["1", "2", "10", "101"]),
)
junk_ids = st.sampled_from(["", "x", "0101010010.01", "01010100.01", "0101010a1.01", "01/02#3"])


def elections() -> st.SearchStrategy[tuple[Election, list[Row], dict[str, int]]]:
    def build(election: Election, ids: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
        k = len(election.candidates)
        rows = st.dictionaries(ids, counts(k), max_size=40).map(
            lambda d: [(t, *v) for t, v in d.items()]
        )
        registry = st.dictionaries(st.one_of(ids, junk_ids), st.sampled_from([-1, 0, 9]))
        return st.tuples(st.just(election), rows, registry)

    return st.one_of(build(E, ve_ids), build(RU, ru_ids))


@settings(max_examples=150, deadline=None)
@given(elections(), st.data())
def test_vectorised_tally_equals_a_dict_tally(
    case: tuple[Election, list[Row], dict[str, int]], data: st.DataObject
) -> None:
    election, rows, registry = case
    if rows:  # the registry knows some of the tables with results too
        ours = st.sampled_from([t for t, *_ in rows])
        registry = {**registry, **data.draw(st.dictionaries(ours, st.sampled_from([-1, 0, 9])))}
    k = len(election.candidates)
    reg = Registry(list(registry), np.array(list(registry.values()), dtype=np.int64))
    expected = expected_from_registry(election, reg)
    assert expected == reference_expected(election, registry)
    filled = [
        (t, c, registry[t] if r < 0 and registry.get(t, -1) >= 0 else r, n, v)
        for t, c, r, n, v in rows
    ]
    tables = fill_registered(to_arrays(rows, k), reg)
    assert tables.registered.tolist() == [r[2] for r in filled]
    want = reference(election, filled, expected)
    packed = tally_packed(election, tables, reg)
    assert [f"{code}:{data}" for code, _, data in packed] == want
    if not expected:  # no registry: the election's own expectations
        assert tally_packed(election, tables) == packed
    levels = tally_all(election, tables, expected)
    assert [f"{t.code}:{pack(t)}" for lv in sorted(levels) for t in levels[lv]] == want
    assert [lv for _, lv, _ in packed] == [lv for lv in sorted(levels) for _ in levels[lv]]
    assert tables.sorted().table_ids == sorted(t for t, *_ in rows)
