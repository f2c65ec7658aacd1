from __future__ import annotations

import pytest

from actas.adapters.elections import load_builtin
from actas.core.errors import PayloadError
from actas.core.payload import Payload, get_format

KNOWN = (
    b"201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,"
    b"0,0,0,5,7,155,1,1!0!0"
)
FMT = get_format("ve-2024-qr", 38)


def test_known_answer() -> None:
    p = FMT.parse(KNOWN)
    assert p.table_id == "201301006.01"
    assert p.acta_id == "201301006.01.1.0001"
    votes = load_builtin("ve-2024").votes_from_options(p.options)
    ids = [c.id for c in load_builtin("ve-2024").candidates]
    assert votes[ids.index("maduro")] == 188
    assert votes[ids.index("gonzalez")] == 167
    assert sum(votes) == 368
    assert (p.null, p.invalid) == (0, 0)
    assert FMT.encode(p) == KNOWN


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (KNOWN + b"\n", "whitespace"),
        (KNOWN + b"!0", "4 '!'-separated"),
        (KNOWN.replace(b"!140,", b"!-140,"), "sign"),
        (KNOWN.replace(b"!140,", b"!+140,"), "sign"),
        (KNOWN.replace(b"!140,", b"!14a,"), "not a number"),
        (KNOWN.replace(b"!140,", b"!0140,"), "leading zeros"),
        (KNOWN.replace(b"!140,", b"!99999999,"), "absurdly large"),
        (KNOWN.replace(b",1,1!0!0", b",1!0!0"), "expected 38 vote counts"),
        (KNOWN.replace(b"201301006.01", b"20130106.01"), "centre code"),
        (KNOWN.replace(b".01.1.", b".1.1."), "table number"),
        (KNOWN.replace(b".01.1.", b".00.1."), "00"),
        (KNOWN.replace(b"!0!0", b"!0!"), "fourth counter is empty"),
        (KNOWN.replace(b"140", "14\u0660".encode()), "non-ASCII"),
        (KNOWN.replace(b".1.0001", b".1.001"), "fourth id field"),
        (b"x" * 2000, "bytes"),
    ],
)
def test_rejects_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        FMT.parse(data)


def test_encode_rejects_out_of_range() -> None:
    p = FMT.parse(KNOWN)
    bad = Payload(p.table_id, (-1, *p.options[1:]), 0, 0)
    with pytest.raises(PayloadError):
        FMT.encode(bad)
