from __future__ import annotations

import pytest

from actas.adapters.elections import (
    builtin_ids,
    load_builtin,
    load_builtin_mappings,
    load_builtin_text,
)
from actas.core.definitions import parse_election, parse_mapping
from actas.core.errors import DefinitionError

VE_TEXT = load_builtin_text("ve-2024")


def test_ve_definition() -> None:
    e = load_builtin("ve-2024")
    assert "ve-2024" in builtin_ids()
    assert len(e.candidates) == 10
    assert len(e.options) == 38
    assert e.options[0].id == "PSUV" and e.options[0].candidate == "maduro"
    assert e.options[33].candidate == "gonzalez"
    assert [lv.id for lv in e.levels] == ["state", "municipality", "parish", "centre"]
    assert e.expected_tables == 30026 and e.expected_registered == 21321805
    assert len(e.region_names) == 24
    assert e.payload_format == "ve-2024-qr"


def test_mappings_load() -> None:
    names = {m.name for m in load_builtin_mappings(load_builtin("ve-2024"))}
    assert {"cvzla", "qr-by-candidate", "qr-resultados", "zentraedi", "centres"} <= names


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('id = "ve-2024"', 'id = "bad id!"'), r"\[election.id\]"),
        (
            lambda t: t.replace("tables = 30026", 'tables = "many"'),
            r"\[expected.tables\] must be an integer",
        ),
        (
            lambda t: t.replace('candidate = "maduro"', 'candidate = "nobody"', 1),
            r"options\[0\].candidate",
        ),
        (
            lambda t: t.replace('format = "ve-2024-qr"', 'format = "nope"'),
            r"unknown payload format",
        ),
        (lambda t: t.replace("[election]", "[election"), "not valid TOML"),
        (lambda t: t.replace('"01" = "DTTO. CAPITAL"', '"1x" = "DTTO. CAPITAL"'), r"names.1x"),
    ],
)
def test_errors_name_file_key_reason(edit: object, message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as info:
        parse_election(edit(VE_TEXT), "my.toml")  # type: ignore[operator]
    assert str(info.value).startswith("my.toml")


def test_mapping_errors() -> None:
    e = load_builtin("ve-2024")
    base = '[format]\nname = "x"\n[table]\nid = "{A:09}.{B:02}"\n[candidates]\n'
    with pytest.raises(DefinitionError, match="must map every candidate"):
        parse_mapping(base + 'maduro = "M"\n', e, "m.toml")
    with pytest.raises(DefinitionError, match="is not a candidate"):
        parse_mapping(base + 'ghost = "G"\n', e, "m.toml")
    with pytest.raises(DefinitionError, match="exactly one of"):
        parse_mapping('[format]\nname = "x"\n[table]\n', e, "m.toml")
    with pytest.raises(DefinitionError, match="unknown role"):
        parse_mapping(
            base.replace("[candidates]", '[columns]\nvotes = "V"\n[candidates]'), e, "m.toml"
        )
