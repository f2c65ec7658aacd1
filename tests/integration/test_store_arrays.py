"""The bulk reads behind the tally (``actas.adapters.store.arrays``), on SQLite and PostgreSQL:
the aggregate queries give exactly what reading the rows one by one gives."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

from actas.adapters.elections import load_builtin
from actas.adapters.store import SqlStore, arrays, open_store
from actas.core.model import Counts, TableId
from actas.core.results.reconcile import Status, TableResult
from actas.core.results.tally import TableArrays

K = len(load_builtin("ve-2024").candidates)


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    s = open_store(db_url, migrate=True)
    yield s
    s.close()


def result(table: str, rnd: random.Random) -> TableResult:
    if rnd.random() < 0.1:
        return TableResult(TableId(table), Status.CONFLICT, None, (1, 2), 0, ("a", "b"), ("votes",))
    votes = tuple(rnd.choice([0, 1, 299, 2**40]) for _ in range(K))
    counts = Counts(
        votes,
        null=rnd.choice([None, 0, 7]),
        registered=rnd.choice([None, 0, 700, 2**35]),
    )
    return TableResult(TableId(table), Status.SINGLE, counts, (1,), 1, ("a",), ())


def same(a: TableArrays, b: TableArrays) -> None:
    assert list(a.table_ids) == list(b.table_ids)
    for name in ("counted", "registered", "null", "votes"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), name


def test_bulk_reads_match_the_rows(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.read() as conn:
        empty = store.table_arrays(K, conn)
        assert store.registry_arrays(conn).table_ids == []
    assert len(empty.table_ids) == 0 and empty.votes.shape == (0, K)
    rnd = random.Random(3)
    ids = [
        f"{s:02d}{m:02d}0100{c}.{t:02d}"
        for s in (2, 1)
        for m in (3, 1)
        for c in range(3)
        for t in range(1, 8)
    ]
    rnd.shuffle(ids)  # stored out of id order: the bulk read sorts
    with store.write() as conn:
        store.put_table_results(conn, [result(t, rnd) for t in ids], new=frozenset(ids))
        store.upsert_registry(conn, {t: rnd.choice([None, 5, 2**33]) for t in ids[::2]})
    with store.read() as conn:
        plain = arrays._table_rows(conn, K)
        plain_registry = arrays._registry_rows(conn)

        def unused(*_: object) -> None:
            raise AssertionError("the bulk read fell back to reading rows")

        monkeypatch.setattr(arrays, "_table_rows", unused)
        monkeypatch.setattr(arrays, "_registry_rows", unused)
        bulk = store.table_arrays(K, conn)
        monkeypatch.setattr(arrays, "_PART_BYTES", 1000)  # many parts, then joined
        parts = store.table_arrays(K, conn)
        registry = store.registry_arrays(conn)
    assert list(plain.table_ids) == sorted(ids)
    assert not plain.counted.all() and (plain.registered == -1).any()
    same(bulk, plain)
    same(parts, plain)
    plain_map = dict(zip(plain_registry.table_ids, plain_registry.registered.tolist(), strict=True))
    bulk_map = dict(zip(registry.table_ids, registry.registered.tolist(), strict=True))
    assert bulk_map == plain_map and len(bulk_map) == len(ids) // 2
    assert registry.registered.dtype == np.int64
    assert {t: r for t, r in bulk_map.items() if r >= 0} == {
        t: r for t, r in store.registry().items() if r is not None
    }


def test_region_results_write_only_what_changed(store: SqlStore) -> None:
    def stored() -> list[tuple[str, int, str, str]]:
        out = []
        for level in (-1, 0, 1):
            out += [(c, level, n, d) for c, n, d in store.region_results(level)]
        return sorted(out)

    rows = [("", -1, "", "n")] + [(f"{i:02d}", 0, f"S{i}", f"s{i}") for i in range(1, 30)]
    rows += [(f"01{i:02d}", 1, f"M{i}", f"m{i}") for i in range(1, 40)]
    with store.write() as conn:
        store.put_region_results(conn, rows)
    assert stored() == sorted(rows)
    # a few change (numbers, a name, a level), one goes away: the rest stay as they are
    few = [r for r in rows if r[0] != "0105"]
    few[0] = ("", -1, "", "n2")
    few[3] = (few[3][0], 0, "renamed", few[3][3])
    few[40] = (few[40][0], 0, few[40][2], few[40][3])
    with store.write() as conn:
        store.put_region_results(conn, few)
    assert stored() == sorted(few)
    # most change: everything is replaced
    most = [(c, lv, n, d + "x") for c, lv, n, d in few[:50]]
    with store.write() as conn:
        store.put_region_results(conn, most)
        store.put_region_results(conn, most)
    assert stored() == sorted(most)
