"""The direct renderings (``actas.core.bundle.render``) are byte for byte the canonical JSON ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.adapters.elections import load_builtin
from actas.core.bundle import format as b
from actas.core.bundle.render import LineRenderer
from actas.core.model import Counts, Finding, Severity
from actas.core.results.reconcile import Status, TableResult
from actas.core.results.tally import Expected, RegionTally, tally_to_json

VE = load_builtin("ve-2024")
RU = load_builtin("ru-2012")
SETTINGS = settings(max_examples=150, deadline=None)
count = st.integers(0, 10**7)
maybe = st.one_of(st.none(), count)
text = st.text(max_size=12)


@st.composite
def counts(draw: st.DrawFn, election=VE) -> Counts:  # type: ignore[no-untyped-def]
    n, k = len(election.candidates), len(election.options)
    options = draw(st.one_of(st.none(), st.tuples(*[count] * k))) if k else None
    return Counts(
        votes=draw(st.tuples(*[count] * n)),
        options=options,
        null=draw(maybe),
        invalid=draw(maybe),
        registered=draw(maybe),
        ballots=draw(maybe),
        valid_reported=draw(maybe),
    )


findings = st.lists(
    st.builds(
        Finding,
        st.sampled_from(["row.bad_value", "turnout.high"]),
        st.sampled_from(list(Severity)),
        text,
        st.one_of(st.none(), text),
        st.tuples(text),
    ),
    max_size=2,
)


@SETTINGS
@given(st.sampled_from([VE, RU]), st.data())
def test_counts(election, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    c = data.draw(counts(election))
    assert LineRenderer(election).counts(c) == b.dumps(b.counts_to_json(election, c))


@SETTINGS
@given(
    st.integers(0, 10**9),
    st.sampled_from(["record", "photo", "decision"]),
    text,
    st.one_of(st.none(), text),
    st.one_of(st.none(), counts()),
    findings,
    st.one_of(st.just(""), st.text("0123456789abcdef", min_size=64, max_size=64)),
    st.one_of(st.none(), st.text("ABCxyz019+/=", max_size=20)),
)
def test_submission_line(  # type: ignore[no-untyped-def]
    seq, kind, channel, table_id, c, found, blob, raw
) -> None:
    args = dict(
        seq=seq,
        kind=kind,
        channel=channel,
        table_id=table_id,
        counts=c,
        findings=found,
        blob_sha256=blob,
        raw_sha256="ab" * 32,
        raw_b64=raw,
    )
    assert LineRenderer(VE).submission(**args) == b.dumps(b.submission_json(VE, **args))


@SETTINGS
@given(
    text,
    st.sampled_from(list(Status)),
    st.one_of(st.none(), counts()),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=4).map(tuple),
    st.integers(0, 5),
    st.lists(text, max_size=3).map(tuple),
    st.lists(st.sampled_from(["votes", "null", "registered"]), max_size=3).map(tuple),
)
def test_table_element(  # type: ignore[no-untyped-def]
    table_id, status, c, seqs, agreeing, channels, differing
) -> None:
    r = TableResult(table_id, status, c, seqs, agreeing, channels, differing)
    assert LineRenderer(VE).table(r) == b.dumps(b.table_json(VE, r))


@SETTINGS
@given(
    st.lists(
        st.builds(
            TableResult,
            text,
            st.sampled_from(list(Status)),
            st.one_of(st.none(), counts()),
            st.lists(st.integers(0, 10**9), min_size=1, max_size=3).map(tuple),
            st.integers(0, 5),
            st.lists(text, max_size=2).map(tuple),
            st.lists(st.sampled_from(["votes", "null"]), max_size=2).map(tuple),
        ),
        max_size=6,
    )
)
def test_table_columns_are_the_rows(results: list[TableResult]) -> None:
    cols = b.table_columns(VE)
    values = b.table_column_values(VE, results)
    rows = [b.table_row(VE, r) for r in results]
    assert list(values) == cols
    assert b.column_rows(cols, values) == rows
    assert b.render_csv_columns(cols, values) == b.render_csv(cols, rows)


@SETTINGS
@given(
    st.sampled_from([VE, RU]),
    st.integers(-1, 2),
    text,
    st.data(),
)
def test_region_element(election, level: int, code: str, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    k = len(election.candidates)
    n = st.integers(0, 10**8)
    t = RegionTally(
        level=min(level, len(election.levels) - 1),
        code=code,
        tables_reported=data.draw(n),
        tables_counted=data.draw(n),
        tables_conflict=data.draw(n),
        tables_with_registered=data.draw(n),
        registered=data.draw(n),
        cast_where_registered=data.draw(n),
        valid=data.draw(n),
        null=data.draw(n),
        votes=tuple(data.draw(n) for _ in range(k)),
        expected=Expected(data.draw(st.one_of(st.none(), n)), data.draw(st.one_of(st.none(), n))),
    )
    names = data.draw(st.dictionaries(st.just(code), text, max_size=1))
    obj = tally_to_json(election, t, names)
    assert LineRenderer(election).region(obj) == b.dumps(obj)
    obj["tables"]["expected"] = data.draw(st.one_of(st.none(), n, st.floats(0, 1)))  # relaxed
    assert LineRenderer(election).region(obj) == b.dumps(obj)
    obj["candidates"][0]["name"] = data.draw(text)  # not the election's: the general route
    assert LineRenderer(election).region(obj) == b.dumps(obj)
