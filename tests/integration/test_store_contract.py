"""One contract for the SQL store and the log over it, on SQLite and on PostgreSQL.

Every test takes ``db_url`` (tests/conftest.py), so each runs twice: against a
SQLite file and against a fresh PostgreSQL database. The dialect fast paths
(COPY, ``= ANY(:array)``) are exercised with more rows than one SQLite chunk.
The tests marked ``@on_every_store`` use only the store seam
(``actas.adapters.store.protocol.Store``) and run a third time against the
in-memory fake (``actas.adapters.store.memory.MemoryStore``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from actas.adapters.elections import load_builtin
from actas.adapters.store import MemoryStore, SqlStore, Store, open_store
from actas.adapters.tlog import Log
from actas.core.errors import NotFound
from actas.core.log import merkle
from actas.core.model import Counts, Finding, Severity, Source, Submission, SubmissionKind, TableId
from actas.core.results.reconcile import Status, TableResult

ELECTION = load_builtin("ve-2024")
K = len(ELECTION.candidates)
HERE = Path(__file__).resolve().parent


# the tests that hold to the seam, parametrised as "sql" (the db_url's store) and "memory"
on_every_store = pytest.mark.parametrize("store", ["sql", "memory"], indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest, db_url: str) -> Iterator[Store]:
    """The SQL store on ``db_url``; with ``@on_every_store``, also the in-memory fake
    (once: beside SQLite, not again beside PostgreSQL)."""
    if getattr(request, "param", "sql") == "memory":
        if not db_url.startswith("sqlite"):
            pytest.skip("the in-memory store runs beside SQLite only")
        yield MemoryStore()
        return
    s = open_store(db_url, migrate=True)
    yield s
    s.close()


@pytest.fixture
def log(store: Store, tmp_path: Path) -> Log:
    lg = Log(store, ELECTION, "", tmp_path / "keys")
    lg.ensure_keys()
    return lg


def sub(i: int, table: str | None = None, votes: int = 1, channel: str = "test") -> Submission:
    counts = None if table is None else Counts(votes=(votes,) + (0,) * (K - 1), null=0)
    return Submission(
        kind=SubmissionKind.RECORD,
        source=Source(channel, "f.csv", "ab" * 32, i),
        received_at="2024-07-29T04:00:00.000000Z",
        raw=f"row {i}".encode(),
        table_id=None if table is None else TableId(table),
        counts=counts,
        findings=(Finding("x.check", Severity.WARNING, f"row {i}", table, ("votes",)),),
    )


def append(store: Store, log: Log, subs: list[Submission]) -> list[int]:
    with store.write() as conn:
        return log.append(conn, subs)


@on_every_store
def test_append_order_gapless_and_roots(store: Store, log: Log) -> None:
    first = append(store, log, [sub(i) for i in range(3)])
    second = append(store, log, [sub(i) for i in range(3, 1203)])  # > one SQLite chunk
    assert first == [0, 1, 2] and second == list(range(3, 1203))
    assert store.size() == log.size() == 1203
    with store.read() as conn:
        leaves = store.leaves(0, 1203, conn)
        assert [s.seq for s in store.iter_submissions(conn, batch=500)] == list(range(1203))
        one = store.submission(7, conn)
        with pytest.raises(NotFound):
            store.submission(5000, conn)
    assert one.raw == b"row 7" and one.findings[0].code == "x.check"
    assert one.findings[0].fields == ("votes",) and one.leaf == leaves[7]
    expected = merkle.MemoryNodes(merkle.leaf_hash(x) for x in leaves)
    for n in (1, 2, 3, 64, 1000, 1203):
        assert log.root(n) == merkle.root(n, expected)


def test_only_upper_merkle_levels_are_stored_and_the_rest_is_read_from_leaves(
    store: SqlStore, log: Log
) -> None:
    from sqlalchemy import func, select

    from actas.adapters.store import schema
    from actas.adapters.store.nodes import LOW_LEVELS

    append(store, log, [sub(i) for i in range(150)])
    append(store, log, [sub(i) for i in range(150, 300)])  # appends across a 64-leaf block
    with store.read() as conn:
        levels = conn.execute(select(func.min(schema.nodes.c.level))).scalar()
        rows = conn.execute(select(func.count()).select_from(schema.nodes)).scalar()
        hashes = [merkle.leaf_hash(x) for x in store.leaves(0, 300, conn)]
        expected = merkle.MemoryNodes(hashes)
        keys = [(lv, i) for lv in range(9) for i in range(300 >> lv)]
        got = store.node_reader(conn).nodes(keys)
        beyond = store.node_reader(conn).nodes([(0, 300), (3, 37), (6, 4)])
    assert levels == LOW_LEVELS and rows == 4 + 2 + 1  # levels 6, 7 and 8 of 300 leaves
    assert got == expected.nodes(keys)
    assert beyond == {}  # nodes over leaves not yet in the log are not there
    for n in (1, 63, 64, 65, 128, 255, 256, 300):
        assert log.root(n) == merkle.root(n, expected)
    for index, size in ((0, 300), (70, 129), (299, 300), (255, 256)):
        proof = merkle.inclusion_proof(index, size, expected)
        with store.read() as conn:
            assert merkle.inclusion_proof(index, size, store.node_reader(conn)) == proof


@on_every_store
def test_identities_and_dedupe(store: Store, log: Log) -> None:
    subs = [sub(i) for i in range(1500)]
    append(store, log, subs[:1000])
    with store.read() as conn:
        known = store.known_identities([s.identity() for s in subs], conn)
        assert store.known_identities([], conn) == set()
    assert known == {s.identity() for s in subs[:1000]}


@on_every_store
def test_checkpoints_and_proofs(store: Store, log: Log) -> None:
    append(store, log, [sub(i) for i in range(10)])
    note = log.publish_checkpoint("2024-07-29T05:00:00Z")
    assert log.publish_checkpoint("2024-07-29T06:00:00Z") == note  # same size: same note
    append(store, log, [sub(i) for i in range(10, 17)])
    log.publish_checkpoint("2024-07-29T07:00:00Z")
    assert [c[0] for c in store.checkpoints()] == [10, 17]
    latest = store.checkpoint()
    assert latest is not None and latest[0] == 17 and latest[1] == log.root()
    old = store.checkpoint(10)
    assert old is not None and old[2] == note
    store.add_checkpoint(17, b"\0" * 32, "ignored", "later")  # first write wins
    assert store.checkpoint(17) == latest
    proof = log.inclusion(12)
    assert proof["tree_size"] == 17 and proof["root_hash"] == log.root().hex()
    c = log.consistency(10, 17)
    assert merkle.verify_consistency(
        10,
        17,
        bytes.fromhex(c["old_root"]),
        bytes.fromhex(c["new_root"]),
        [bytes.fromhex(h) for h in c["proof"]],
    )


def result(table: str, votes: int, status: Status = Status.SINGLE) -> TableResult:
    counts = None if status is Status.CONFLICT else Counts((votes,) + (1,) * (K - 1), null=2)
    return TableResult(TableId(table), status, counts, (1, 2), 1, ("a", "b"), ())


@on_every_store
def test_table_results(store: Store, log: Log) -> None:
    ids = [f"0101010{i // 10:02d}.{i % 10 + 1:02d}" for i in range(700)]
    append(store, log, [sub(i, t, votes=i) for i, t in enumerate(ids)])
    with store.write() as conn:
        store.put_table_results(conn, [result(t, i) for i, t in enumerate(ids)], new=frozenset(ids))
        store.put_table_results(conn, [result(ids[5], 0, Status.CONFLICT)], removed=[ids[6]])
    with store.read() as conn:
        assert store.tables_with_results([*ids, "990101001.01"], conn) == set(ids) - {ids[6]}
        assert len(store.table_results(conn)) == 699
        [conflict] = store.table_results(conn, status="conflict")
        assert conflict.table_id == ids[5] and conflict.counts is None
        assert store.table_result(ids[0], conn) == result(ids[0], 0)
        assert store.table_result("nope", conn) is None
        assert len(store.table_results(conn, prefix="010101005")) == 10
        versions = store.versions(ids, conn)
        assert len(versions) == 700 and versions[ids[9]][0].counts.votes[0] == 9
        assert sorted(store.all_table_ids(conn)) == sorted(ids)
        counted = store.counted_counts(conn)
        assert len(counted) == 698 and counted[0][0] == ids[0]
        arrays = store.table_arrays(K, conn)
    assert arrays.table_ids == sorted(set(ids) - {ids[6]})
    assert int(arrays.counted.sum()) == 698
    assert (
        arrays.votes.shape == (699, K) and int(arrays.votes[arrays.table_ids.index(ids[9]), 0]) == 9
    )
    assert int(arrays.null[0]) == 2 and int(arrays.registered[0]) == -1


@on_every_store
def test_findings(store: Store, log: Log) -> None:
    append(store, log, [sub(i, "010101001.01") for i in range(4)])
    with store.read() as conn:
        found = store.findings(conn, code="x.check", limit=3)
        counts = store.finding_counts(conn)
        subs = store.submissions_of("010101001.01", conn)
    assert [seq for seq, _ in found] == [0, 1, 2]
    assert counts == {("x.check", "warning"): 4}
    assert [s.seq for s in subs] == [0, 1, 2, 3] and subs[3].findings[0].message == "row 3"


@on_every_store
def test_region_results(store: Store) -> None:
    rows = [("", -1, "", "n")] + [(f"{i:02d}", 0, f"State {i}", f"s{i}") for i in range(1, 25)]
    rows += [(f"01{i:02d}", 1, f"Mun {i}", f"m{i}") for i in range(1, 4)]
    with store.write() as conn:
        store.put_region_results(conn, rows)
        store.put_region_results(conn, rows)  # replaces, never duplicates
    assert store.region_result("") == ("", "n")
    assert store.region_result("07") == ("State 7", "s7")
    assert store.region_result("99") is None
    assert len(store.region_results(0)) == 24
    assert [c for c, _, _ in store.region_results(1, "01")] == ["0101", "0102", "0103"]


@on_every_store
def test_registry_meta_sources(store: Store) -> None:
    with store.write() as conn:
        store.upsert_registry(conn, {f"t{i}": i for i in range(800)})
        store.upsert_registry(conn, {"t1": None, "t900": 9})
        store.add_source(
            conn,
            {
                "channel": "c",
                "name": "f.csv",
                "sha256": "0" * 64,
                "received_at": "now",
                "rows_read": 3,
            },
        )
    registry = store.registry()
    assert len(registry) == 801 and registry["t1"] is None and registry["t799"] == 799
    store.set_meta("k", "v1")
    store.set_meta("k", "v2")
    assert store.get_meta("k") == "v2" and store.get_meta("absent", "d") == "d"
    [source] = store.list_sources()
    assert source["rows_read"] == 3 and source["loaded"] == 0


@on_every_store
def test_region_names_and_search(store: Store) -> None:
    names = {f"{i:02d}": (0, f"EDO. {i}") for i in range(1, 700)}
    names["21"] = (0, "EDO. TÁCHIRA")
    names["2113"] = (1, "MP. PEÑA")
    names["2114"] = (1, "MP. 100%_REAL")
    with store.write() as conn:
        store.upsert_region_names(conn, names)
        store.upsert_region_names(conn, {"2113": (1, "another name"), "2115": (1, "MP. SUCRE")})
    got = store.region_names()
    assert len(got) == 702 and got["2113"] == "MP. PEÑA" and got["2115"] == "MP. SUCRE"
    assert store.search_regions("pena", 10) == [("2113", 1, "MP. PEÑA")]
    assert store.search_regions("tachira", 10) == [("21", 0, "EDO. TÁCHIRA")]
    assert store.search_regions("100%_", 10) == [("2114", 1, "MP. 100%_REAL")]
    assert store.search_regions("%", 10) == [("2114", 1, "MP. 100%_REAL")]
    assert len(store.search_regions("edo", 5)) == 5


@on_every_store
def test_a_failed_write_leaves_nothing_behind(store: Store, log: Log) -> None:
    append(store, log, [sub(i, "010101001.01") for i in range(3)])
    root = log.root()

    def fail_half_way() -> None:
        with store.write() as conn:
            log.append(conn, [sub(i, "010101001.02") for i in range(3, 70)])
            store.set_meta("k", "lost", conn)
            store.upsert_registry(conn, {"010101001.02": 5})
            raise RuntimeError("the caller fails half way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert store.size() == 3 and log.root() == root
    assert store.get_meta("k") is None and store.registry() == {}
    assert append(store, log, [sub(i) for i in range(3, 5)]) == [3, 4]  # no gap
    with store.read() as conn:
        assert store.known_identities([sub(50, "010101001.02").identity()], conn) == set()
        assert store.submissions_of("010101001.02", conn) == []


@on_every_store
def test_blobs_versions_and_the_bundle_reads(store: Store, log: Log) -> None:
    photo = Submission(
        kind=SubmissionKind.PHOTO,
        source=Source("photo"),
        received_at="2024-07-29T04:00:00.000000Z",
        raw=b"jpeg",
        blob_sha256="cd" * 32,
    )
    decision = Submission(
        kind=SubmissionKind.DECISION,
        source=Source("review"),
        received_at="2024-07-29T04:00:00.000000Z",
        raw=b"{}",
        table_id=TableId("010101001.01"),
        counts=Counts(votes=(5,) + (0,) * (K - 1), null=0),
        actor="r1",
    )
    append(store, log, [sub(0, "010101001.01"), photo, decision, sub(3)])
    rows = [("0101", 1, "Mun 1", "m1"), ("", -1, "", "n"), ("01", 0, "State 1", "s1")]
    with store.write() as conn:
        store.put_region_results(conn, rows)
    with store.snapshot() as conn:
        assert store.seqs_by_blob("cd" * 32, conn) == [1]
        assert store.seqs_by_blob("ef" * 32, conn) == []
        versions = store.versions(["010101001.01", "010101001.02"], conn)
        assert [(v.seq, v.decision) for v in versions["010101001.01"]] == [(0, False), (2, True)]
        assert list(versions) == ["010101001.01"]
        assert store.all_region_results(conn) == sorted((lv, c, n, d) for c, lv, n, d in rows)
        assert store.disclosed_entries(conn) == set()
        logged = store.submission(2, conn)
        assert logged.kind == "decision" and logged.actor == "r1" and logged.channel == "review"
        assert (
            logged.counts == decision.counts and store.submission(1, conn).blob_sha256 == "cd" * 32
        )
        assert store.leaves(1, 3, conn) == [s.leaf for s in store.iter_submissions(conn)][1:3]


def test_migrate_is_idempotent(db_url: str) -> None:
    for _ in range(2):
        s = open_store(db_url, migrate=True)
        assert s.size() == 0
        s.close()


# --------------------------------------------------------------------------- the sequencer


def check_log(store: SqlStore, log: Log) -> list[bytes]:
    """Seqs are 0..n-1 without gaps or duplicates; the stored root is the leaves' root."""
    with store.read() as conn:
        seqs = [s.seq for s in store.iter_submissions(conn)]
        n = store.size(conn)
        leaves = store.leaves(0, n, conn)
    assert seqs == list(range(n)) and len(leaves) == n
    assert log.root() == merkle.root(n, merkle.MemoryNodes(merkle.leaf_hash(x) for x in leaves))
    return leaves


def test_concurrent_appends_are_ordered_and_gapless(store: SqlStore, log: Log, db_url: str) -> None:
    """Threads in this process and separate processes append at once through write()."""
    per_writer, threads, processes = 30, 4, 2
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        mine: list[int] = []
        try:
            for j in range(per_writer):
                batch = [sub(1000 * j + b, channel=tag) for b in range(1 + j % 3)]
                mine += append(store, log, batch)
        except BaseException as exc:
            errors.append(exc)
        got[tag] = mine

    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "append_writer.py"), db_url, f"p{i}", str(per_writer)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    workers = [threading.Thread(target=writer, args=(f"t{i}",)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for i, p in enumerate(procs):
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        got[f"p{i}"] = [int(x) for x in out.split()]
    assert not errors
    per_batch = sum(1 + j % 3 for j in range(per_writer))
    assert all(len(seqs) == per_batch for seqs in got.values())
    every = sorted(x for seqs in got.values() for x in seqs)
    assert every == list(range(per_batch * (threads + processes)))
    for seqs in got.values():  # each writer's leaves in the order it appended them
        assert seqs == sorted(seqs)
    check_log(store, log)
    with store.read() as conn:
        by_seq = {s.seq: s.channel for s in store.iter_submissions(conn)}
    for tag, seqs in got.items():
        assert {by_seq[x] for x in seqs} == {tag}


def test_cli_init_db_selects_the_database(db_url: str, tmp_path: Path) -> None:
    """``actas init --db URL`` uses it, and records it (0600) for later commands."""
    home = tmp_path / "home"
    actas = str(Path(sys.executable).with_name("actas"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTAS_")}
    init = [actas, "init", "--election", "ve-2024", "--db", db_url, "--home", str(home)]
    subprocess.run(init, env=env, check=True, capture_output=True)
    recorded = home / "database.url"
    assert recorded.read_text().strip() == db_url and recorded.stat().st_mode & 0o777 == 0o600
    results = [actas, "results", "--json", "--home", str(home)]
    out = subprocess.run(results, env=env, check=True, capture_output=True, text=True).stdout
    assert '"level": "national"' in out
    s = open_store(db_url)
    try:
        assert s.get_meta("election") is not None  # the election went to that database
    finally:
        s.close()
