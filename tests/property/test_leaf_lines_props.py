"""The verifier's quick reading of usual leaves says exactly what the general route says.

``replay.parse_leaf_lines`` reads a leaf in the usual shape with one regular
expression (``replay._plain_info``) and hands anything else to
``leaf.decode_leaf`` + ``replay.leaf_info``. Whatever the bytes — well formed,
or with a byte changed — the two must accept the same leaves with the same
information and refuse the same ones.
"""

from __future__ import annotations

import base64
import csv

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.core.log.leaf import decode_leaf, encode_leaf
from actas.core.model import Source, Submission, SubmissionKind
from actas.core.verify import replay

SETTINGS = settings(max_examples=200, deadline=None)
ELECTION = "ve-2024"
text = st.one_of(st.text(max_size=12), st.text("abc ,/:.-_09", max_size=30))
hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)

submissions = st.builds(
    Submission,
    kind=st.sampled_from(list(SubmissionKind)),
    source=st.builds(
        Source,
        channel=text,
        name=text,
        sha256=st.one_of(st.just(""), hex64, text),
        row=st.one_of(st.none(), st.integers(-5, 10**9)),
    ),
    received_at=st.one_of(st.just("2024-07-29T04:00:00.000000Z"), text),
    raw=st.one_of(st.binary(max_size=300), st.binary(min_size=4090, max_size=4100)),
    blob_sha256=st.one_of(st.just(""), hex64),
    actor=st.one_of(st.just(""), text),
    meta=st.dictionaries(text, st.one_of(text, st.integers(-(10**20), 10**20)), max_size=3),
)


def _general(leaf: bytes, election: str) -> replay.LeafInfo | str:
    try:
        return replay.leaf_info(decode_leaf(leaf), election)
    except ValueError:
        return "refused"


def _quick(leaf: bytes, election: str) -> replay.LeafInfo | str:
    line = base64.b64encode(leaf)
    [(_, _, info, _problem)] = replay.parse_leaf_lines((election, 0, [line]))
    return "refused" if info is None else info


@SETTINGS
@given(submissions, st.sampled_from([ELECTION, "other"]))
def test_usual_leaves_read_the_same(sub: Submission, election: str) -> None:
    leaf = encode_leaf(ELECTION, sub)
    assert _quick(leaf, election) == _general(leaf, election)


@SETTINGS
@given(submissions, st.data())
def test_changed_leaves_are_judged_the_same(sub: Submission, data: st.DataObject) -> None:
    leaf = bytearray(encode_leaf(ELECTION, sub))
    at = data.draw(st.integers(0, len(leaf) - 1), label="byte")
    leaf[at] = data.draw(st.sampled_from(b'0a{}",:\\ 9f=+/Zv'), label="new byte")
    assert _quick(bytes(leaf), ELECTION) == _general(bytes(leaf), ELECTION)


def test_a_usual_record_takes_the_quick_route() -> None:
    sub = Submission(
        SubmissionKind.RECORD,
        Source("cvzla", "V1.csv", "ab" * 32, 7),
        "2024-07-29T04:00:00.000000Z",
        b"1,DTTO. CAPITAL,10113042,1,666,364",
        meta={"photo_url": "https://example.org/a.jpg"},
    )
    info = replay._plain_info(encode_leaf(ELECTION, sub), ELECTION)
    assert info == replay.leaf_info(decode_leaf(encode_leaf(ELECTION, sub)), ELECTION)


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=40),
        st.text('ab1 ,;\t|"\r\n\x00\x0b\x85\u2028é', max_size=40),
        st.lists(st.text("0123456789 ab", max_size=8), max_size=12).map(",".join),
    ),
    st.sampled_from(replay.DELIMITERS),
)
def test_rows_split_as_the_csv_module_does(row: str, delimiter: str) -> None:
    def csv_module() -> list[list[str]] | str:
        try:
            lines = row.splitlines(keepends=True)
            return list(csv.reader(lines, delimiter=delimiter, strict=False))
        except csv.Error:
            return "error"

    try:
        quick: list[list[str]] | str = replay.csv_rows(row, delimiter)
    except csv.Error:
        quick = "error"
    assert quick == csv_module()
