from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from actas.core.model import TableId
from actas.core.payload import Payload, get_format

FMT = get_format("ve-2024-qr", 38)
counts = st.integers(min_value=0, max_value=9999)


@given(
    centre=st.integers(min_value=10101001, max_value=999999999),
    table=st.integers(min_value=1, max_value=99),
    options=st.lists(counts, min_size=38, max_size=38),
    null=counts,
    invalid=counts,
)
def test_round_trip(centre: int, table: int, options: list[int], null: int, invalid: int) -> None:
    p = Payload(TableId(f"{centre:09d}.{table:02d}"), tuple(options), null, invalid)
    data = FMT.encode(p)
    back = FMT.parse(data)
    assert back.options == p.options and back.table_id == p.table_id
    assert (back.null, back.invalid) == (null, invalid)
    assert FMT.encode(back) == data


@given(st.binary(max_size=400))
def test_parse_never_crashes(data: bytes) -> None:
    try:
        p = FMT.parse(data)
    except Exception as exc:
        from actas.core.errors import PayloadError

        assert isinstance(exc, PayloadError)
    else:
        assert FMT.encode(p) == data
