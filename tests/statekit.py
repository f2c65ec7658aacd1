"""A small election in every table state, for the portal's tests (integration and e2e).

ve-2024 with a registry of five tables at one centre: ``.01`` in conflict (two files
disagree on one candidate), ``.02`` read from one file, ``.03`` received with a count
that could not be read, ``.04`` and ``.05`` pending (nothing yet).
"""

from __future__ import annotations

from pathlib import Path

from actas.app.service import Service
from actas.app.settings import Settings

__all__ = ["CENTRE", "build_states_home"]

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = (
    "20,EDO. YARACUY,13,MP. X,1,PQ. PEÑA,201301006,{m},600,{valid},1,{eg},{nm},5,0,0,3,1,1,0,2,u\n"
)
REGISTRY_MAPPING = """
[format]
name = "test-registry"
kind = "registry"
description = "tables and registered voters"
match = ["MESA", "ELECTORES"]

[table]
id_column = "MESA"

[columns]
registered = "ELECTORES"
"""
CENTRE = "201301006"


def build_states_home(root: Path) -> Path:
    """The data folder described above, under ``root``."""
    home = root / "home"
    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024")
    try:
        mapping = root / "registry.toml"
        mapping.write_text(REGISTRY_MAPPING)
        registry = root / "registry.csv"
        registry.write_text(
            "MESA,ELECTORES\n" + "".join(f"{CENTRE}.0{m},600\n" for m in range(1, 6))
        )
        svc.import_file(registry, None, mapping)
        a = root / "a.csv"
        a.write_text(
            HEADER
            + ROW.format(m=1, valid=367, eg=167, nm=188)
            + ROW.format(m=2, valid=212, eg=100, nm=100)
            + ROW.format(m=3, valid=10, eg="x", nm=5)  # unreadable count: received
        )
        svc.import_file(a)
        b = root / "b.csv"
        b.write_text(HEADER + ROW.format(m=1, valid=368, eg=168, nm=188))
        svc.import_file(b)
        svc.log.publish_checkpoint(svc.clock())
    finally:
        svc.close()
    return home
