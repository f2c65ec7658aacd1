"""The fast reader of clean rows gives exactly what the general reader gives.

``records.read_row`` tries a fast path (column positions worked out once per
file, plain digits only) and falls back to the general reader for anything
else. Whatever the row, the answer must be the same as the general reader's.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.adapters.elections import load_builtin, load_builtin_mappings
from actas.core.results.rows import _read_any, header_for, read_row

VE = load_builtin("ve-2024")
RU = load_builtin("ru-2012")
MAPPINGS = {m.name: m for m in load_builtin_mappings(VE)}
RU_MAPPING = load_builtin_mappings(RU)[0]

# values a count or an id cell may hold in a real or hostile file
cell = st.one_of(
    st.integers(0, 2_000).map(str),
    st.integers(0, 10**9).map(str),
    st.sampled_from(["", " ", " 7", "7 ", "-3", "+4", "1_000", "٣", "²", "0x10", "00012", "1.5"]),
    st.text(max_size=6),
)


def _headers(mapping_name: str) -> list[str]:
    m = MAPPINGS[mapping_name]
    cols = list(m.required_columns())
    cols += [c for c in m.columns.values() if c not in cols]
    cols += [c for c in m.region_names.values() if c not in cols]
    return cols


def _same(h, fields):  # type: ignore[no-untyped-def]
    assert read_row(h, fields, len(h.index)) == _read_any(h, fields, len(h.index))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_cvzla_fast_path_agrees(data: st.DataObject) -> None:
    cols = _headers("cvzla")
    h = header_for(MAPPINGS["cvzla"], VE, cols)
    assert h.plan is not None
    mostly_clean = {
        "CENTRO": st.one_of(st.integers(10_101_001, 240_101_099).map(str), cell),
        "MESA": st.one_of(st.integers(1, 20).map(str), cell),
    }
    fields = [
        data.draw(mostly_clean.get(c, st.one_of(st.integers(0, 900).map(str), cell))) for c in cols
    ]
    _same(h, fields)


@pytest.mark.parametrize("name", ["qr-by-candidate", "qr-resultados", "zentraedi"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_id_column_fast_path_agrees(name: str, data: st.DataObject) -> None:
    cols = _headers(name)
    h = header_for(MAPPINGS[name], VE, cols)
    assert h.plan is not None
    acta = st.one_of(
        st.builds(
            lambda c, m: f"{c:09d}.{m:02d}.1.0001",
            st.integers(10_101_001, 240_101_099),
            st.integers(1, 12),
        ),
        cell,
    )
    fields = [
        data.draw(
            acta if c in ("Acta", "codigo") else st.one_of(st.integers(0, 900).map(str), cell)
        )
        for c in cols
    ]
    _same(h, fields)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_summed_roles_fast_path_agrees(data: st.DataObject) -> None:
    m = RU_MAPPING
    cols = list(m.required_columns())
    cols += [c for c in m.columns.values() if c not in cols]
    cols += [c for group in m.column_sums.values() for c in group if c not in cols]
    h = header_for(m, RU, cols)
    assert h.plan is not None
    fields = [data.draw(st.one_of(st.integers(0, 3_000).map(str), cell)) for _ in cols]
    _same(h, fields)


def test_a_clean_row_takes_the_fast_path() -> None:
    cols = _headers("cvzla")
    h = header_for(MAPPINGS["cvzla"], VE, cols)
    values = {"CENTRO": "10113042", "MESA": "1", "EDO": "DTTO. CAPITAL", "URL": "https://x/a.jpg"}
    fields = [values.get(c, "5") for c in cols]
    assert h.plan is not None
    from actas.core.results.rowplan import read_clean as _read_clean

    fast = _read_clean(h.plan, fields)
    assert fast is not None and fast == _read_any(h, fields, len(cols))
    assert str(fast.table_id) == "010113042.01" and fast.counts is not None
    fields[cols.index("MESA")] = "-1"
    assert _read_clean(h.plan, fields) is None  # the general reader explains it
    assert read_row(h, fields, len(cols)).findings
