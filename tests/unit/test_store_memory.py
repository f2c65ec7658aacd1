"""The in-memory store (``actas.adapters.store.memory``) under the pure core: leaves
appended, tables reconciled, the nation tallied, a checkpoint signed and a table's
page proved, with no database. The store contract itself runs against the fake in
``tests/integration/test_store_contract.py``."""

from __future__ import annotations

import threading

import pytest

from actas.adapters.elections import load_builtin
from actas.adapters.store import MemoryStore
from actas.core.errors import NotFound, StoreError
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.log.leaf import encode_leaves
from actas.core.model import Counts, Source, Submission, SubmissionKind, TableId
from actas.core.results.reconcile import Status, TableResult, reconcile
from actas.core.results.tableview import Checkpoint, table_json
from actas.core.results.tally import fill_registered, tally_packed, unpack

ELECTION = load_builtin("ve-2024")
K = len(ELECTION.candidates)
A, B, C = "010101001.01", "010101001.02", "020101001.01"


def reading(row: int, table: str, first: int, channel: str = "cvzla-v1") -> Submission:
    return Submission(
        kind=SubmissionKind.RECORD,
        source=Source(channel, "f.csv", "ab" * 32, row),
        received_at="2024-07-29T04:00:00.000000Z",
        raw=f"row {row}".encode(),
        table_id=TableId(table),
        counts=Counts(votes=(first,) + (1,) * (K - 1), null=2),
    )


def append(store: MemoryStore, subs: list[Submission]) -> list[int]:
    with store.write() as conn:
        return store.append(conn, subs, encode_leaves(ELECTION.id, subs))


def reconcile_all(store: MemoryStore) -> list[TableResult]:
    with store.write() as conn:
        tables = sorted(store.all_table_ids(conn))
        versions = store.versions(tables, conn)
        results = [r for t in tables if (r := reconcile(TableId(t), versions[t])) is not None]
        store.put_table_results(conn, results, new=frozenset(tables))
    return results


def test_the_core_counts_and_proves_a_log_kept_in_memory() -> None:
    store = MemoryStore()
    # A read twice, agreeing; B read twice, disagreeing; C once
    subs = [reading(1, A, 10), reading(1, A, 10, "photo"), reading(2, B, 5)]
    subs += [reading(2, B, 6, "photo"), reading(3, C, 7)]
    assert append(store, subs) == [0, 1, 2, 3, 4]
    results = {r.table_id: r for r in reconcile_all(store)}
    assert results[A].agreeing == 2 and results[B].status is Status.CONFLICT
    assert results[C].status is Status.SINGLE

    with store.write() as conn:
        store.upsert_registry(conn, {A: 300, B: 200, C: None})
    with store.read() as conn:
        arrays = fill_registered(store.table_arrays(K, conn), store.registry_arrays(conn))
        registry = store.registry_arrays(conn)
    rows = [(code, lv, "", data) for code, lv, data in tally_packed(ELECTION, arrays, registry)]
    with store.write() as conn:
        store.put_region_results(conn, rows)
    found = store.region_result("")
    assert found is not None
    nation = unpack("", found[1])
    assert nation.tables_counted == 2 and nation.tables_conflict == 1  # B is not counted
    assert nation.votes[0] == 10 + 7 and nation.registered == 300

    signer = cp.generate_signer("actas.example/ve-2024", bytes(32))
    with store.read() as conn:
        size = store.size(conn)
        root = merkle.root(size, store.node_reader(conn))
    note = cp.sign_checkpoint(cp.Checkpoint("actas.example/ve-2024", size, root), signer)
    store.add_checkpoint(size, root, note.decode(), "2024-07-29T05:00:00Z")
    latest = store.checkpoint()
    assert (
        latest is not None
        and cp.open_checkpoint(latest[2].encode(), signer.verifier()).root_hash == root
    )

    with store.read() as conn:
        page = table_json(
            ELECTION,
            A,
            store.table_result(A, conn),
            store.submissions_of(A, conn),
            store.region_names(conn),
            Checkpoint(*latest, signer.verifier().to_text()),
            store.node_reader(conn),
        )
    assert [s["seq"] for s in page["submissions"]] == [0, 1]
    assert all(s["inclusion"]["verified"] for s in page["submissions"])
    assert page["agreement"]["agreeing"] == 2 and page["result"]["status"] == "consensus"


def test_the_fake_refuses_what_the_database_would_not_do() -> None:
    store, other = MemoryStore(), MemoryStore()
    subs = [reading(1, A, 10)]
    leaves = encode_leaves(ELECTION.id, subs)
    with store.read() as conn, pytest.raises(StoreError, match="write"):
        store.append(conn, subs, leaves)  # appending outside the sequencer
    with other.write() as conn, pytest.raises(StoreError, match="this store"):
        store.append(conn, subs, leaves)
    with store.write() as conn:
        store.append(conn, subs, leaves)
    with pytest.raises(StoreError, match="over"):
        store.size(conn)  # the transaction has ended
    with store.write() as conn, pytest.raises(StoreError, match="already"):
        store.append(conn, subs, leaves)  # the caller removes duplicates first
    with store.read() as conn:
        with pytest.raises(NotFound):
            store.submission(1, conn)
        assert store.node_reader(conn).nodes([(0, 0), (0, 1), (1, 0)]) == {
            (0, 0): merkle.leaf_hash(leaves[0])
        }  # nothing beyond the leaves logged


def test_writers_in_threads_append_in_order_without_gaps() -> None:
    store = MemoryStore()
    got: dict[int, list[int]] = {}

    def writer(w: int) -> None:
        got[w] = [
            seq for j in range(20) for seq in append(store, [reading(100 * w + j, A, j, f"w{w}")])
        ]

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for seqs in got.values() for s in seqs) == list(range(80))
    assert all(seqs == sorted(seqs) for seqs in got.values())
    with store.read() as conn:
        leaves = store.leaves(0, 80, conn)
        assert merkle.root(80, store.node_reader(conn)) == merkle.root_from_leaf_hashes(
            [merkle.leaf_hash(x) for x in leaves]
        )
