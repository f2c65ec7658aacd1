"""Properties of export -> verify: a fresh bundle holds; any changed byte is caught."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actas.adapters.bundle_files import parquet_columns
from actas.core.bundle import format as b
from actas.core.verify.procedure import verify
from bundlegen import Built, build, remanifest, row

table = st.tuples(
    st.integers(1, 24),  # state
    st.integers(1, 3),  # municipality
    st.integers(1, 2),  # parish
    st.integers(1, 5),  # centre
    st.integers(1, 4),  # table
)
reading = st.tuples(
    st.integers(0, 900),  # registered
    st.lists(st.integers(0, 300), min_size=10, max_size=10),
    st.integers(0, 20),  # null
)
logs = st.dictionaries(table, reading, min_size=1, max_size=12).map(
    lambda d: [row(*t, reg, votes, null) for t, (reg, votes, null) in sorted(d.items())]
)
CORE = (b.LEAVES, b.SUBMISSIONS, b.TABLES_JSON, b.TABLES_CSV, b.RESULTS_JSON, b.RESULTS_CSV,
        b.CHECKPOINT, b.VERIFIER_KEY)  # fmt: skip
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _built(rows: list[bytes]) -> Built:
    return build(rows, parquet=False)


@SETTINGS
@given(logs, st.data())
def test_any_flipped_byte_fails(rows: list[bytes], data: st.DataObject) -> None:
    built = _built(rows)
    assert verify(built.files).ok
    path = data.draw(st.sampled_from(sorted(built.files)), label="file")
    content = built.files[path]
    at = data.draw(st.integers(0, len(content) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    files = dict(built.files)
    files[path] = content[:at] + bytes([content[at] ^ (1 << bit)]) + content[at + 1 :]
    report = verify(files)
    assert not report.ok
    assert report.total_failures >= 1


@SETTINGS
@given(logs, st.data())
def test_a_flipped_byte_is_caught_even_with_a_rewritten_manifest(
    rows: list[bytes], data: st.DataObject
) -> None:
    """Beyond the MANIFEST: every published number and leaf is re-derived."""
    built = _built(rows)
    key = built.signer.verifier().to_text()
    path = data.draw(st.sampled_from(CORE), label="file")
    content = built.files[path]
    at = data.draw(st.integers(0, len(content) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    files = dict(built.files)
    files[path] = content[:at] + bytes([content[at] ^ (1 << bit)]) + content[at + 1 :]
    report = verify(remanifest(files), pinned_key=key, read_parquet=parquet_columns)
    assert not report.ok, (path, at, bit)
