"""The import event's bytes round-trip: what the importer writes, the verifier reads."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from actas.core.model import SubmissionKind
from actas.core.results.import_event import ImportEvent, event_bytes, import_leaves, parse_event

hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
events = st.builds(
    ImportEvent,
    file=st.text(max_size=40),
    sha256=hex64,
    format=st.text(min_size=1, max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    header=st.text(max_size=200),
    mapping_sha256=st.one_of(st.just(""), hex64),
    election_sha256=st.one_of(st.just(""), hex64),
    size=st.one_of(st.none(), st.integers(0, 2**40)),
)


@given(events)
def test_event_round_trip(event: ImportEvent) -> None:
    raw = event_bytes(event)
    assert parse_event(raw) == event
    assert raw.isascii()
    data = json.loads(raw)
    assert list(data) == sorted(data) and data["event"] == "import"


@given(events, st.binary(max_size=300))
def test_a_custom_mapping_is_logged_first_and_named_by_hash(event: ImportEvent, mapping: bytes) -> None:
    first, second = import_leaves(event, "2024-07-29T00:00:00Z", mapping, "m.toml")
    assert first.kind is SubmissionKind.EVENT and first.raw == mapping
    assert first.source.channel == "mapping" and first.source.name == "m.toml"
    named = parse_event(second.raw)
    assert named.mapping_sha256 == first.source.sha256
    (only,) = import_leaves(event, "2024-07-29T00:00:00Z")
    assert parse_event(only.raw) == event and only.source.sha256 == event.sha256
