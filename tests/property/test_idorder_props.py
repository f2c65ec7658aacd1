"""The one order of ids (docs/log-format.md, "Order of ids"): free-text table ids and
region codes with spaces, ``#``, ``/``, accents and prefixes of one another go through
import -> export -> verify, and the order is the UTF-8 byte order everywhere."""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actas.adapters.bundle_files import read_bundle
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.definitions import parse_election
from actas.core.idorder import id_array, id_key, id_order, sort_ids
from actas.core.verify.procedure import verify

# few letters, so that names collide, share prefixes and differ by a space or a '#'
NAME = st.text(alphabet="Xb #/éÉñЖ😀-", min_size=1, max_size=4)
SCHEMES = [("/", "#"), (" > ", " | "), ("|", "#")]

ELECTION = """\
[election]
id = "free-text"
name = "Free-text ids"
date = "2026-01-01"
fictional = true

[regions]
separator = "{sep}"
table_separator = "{tsep}"
table_width = 0
levels = [
  {{ id = "province", name = "Province" }},
  {{ id = "district", name = "District" }},
]

[[candidates]]
id = "a"
name = "A"

[[candidates]]
id = "b"
name = "B"
"""

MAPPING = """\
[format]
name = "free"
kind = "results"
match = ["province", "district", "station", "A", "B"]

[table]
id = "{{province}}{sep}{{district}}{tsep}{{station}}"

[columns]
registered = "registered"
null = "null"

[candidates]
a = "A"
b = "B"
"""


@st.composite
def elections(draw: st.DrawFn) -> tuple[str, str, list[list[str]]]:
    sep, tsep = draw(st.sampled_from(SCHEMES))
    base = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    # each name with its variants: "X" beside "X b" and "X#1" (one a prefix of another)
    names = sorted({v for n in base for v in (n, n + " b", n + "#1")})
    rows = []
    for province in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        for district in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
            station = draw(st.sampled_from(["1", "2", "1 b", "ü#"]))
            votes = draw(st.lists(st.integers(0, 200), min_size=2, max_size=2))
            rows.append([province, district, station, "500", "3", *map(str, votes)])
    return sep, tsep, rows


def _load(sep: str, tsep: str, rows: list[list[str]], root: Path) -> dict[str, bytes]:
    (root / "election.toml").write_text(ELECTION.format(sep=sep, tsep=tsep), "utf-8")
    (root / "free.toml").write_text(MAPPING.format(sep=sep, tsep=tsep), "utf-8")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["province", "district", "station", "registered", "null", "A", "B"])
    w.writerows(rows)
    (root / "results.csv").write_text(out.getvalue(), "utf-8")
    svc = Service.init(Settings.from_env(env={}, home=root / "home"), str(root / "election.toml"))
    try:
        svc.import_file(root / "results.csv", mapping_file=root / "free.toml")
        svc.export(root / "bundle")
    finally:
        svc.close()
    return read_bundle(root / "bundle")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_free_text_ids_import_export_verify(case: tuple[str, str, list[list[str]]]) -> None:
    sep, tsep, rows = case
    with tempfile.TemporaryDirectory() as tmp:
        files = _load(sep, tsep, rows, Path(tmp))
    report = verify(files)
    assert report.ok, report.failures[:3]
    tables = json.loads(files["tables.json"])
    regions = json.loads(files["results.json"])
    ids = [t["table_id"] for t in tables]
    assert ids == sorted(ids, key=id_key)
    depth = {"national": -1, "province": 0, "district": 1}
    keys = [(depth[r["level"]], id_key(r["code"])) for r in regions]
    assert keys == sorted(keys)  # level by level, each by the bytes of its code
    # every region holds exactly its own tables (none of a region whose name it prefixes)
    scheme = parse_election(ELECTION.format(sep=sep, tsep=tsep), "e.toml").scheme
    valid: dict[str, int] = {}
    for t in tables:
        for code in scheme.region_codes(t["table_id"]):
            valid[code] = valid.get(code, 0) + (t["valid"] or 0)  # None: a conflict
    assert {r["code"]: r["valid"] for r in regions if r["level"] != "national"} == valid


@given(st.lists(st.text(), max_size=30))
def test_the_order_is_the_utf8_byte_order(ids: list[str]) -> None:
    by_bytes = sorted(ids, key=id_key)
    assert sort_ids(ids) == by_bytes
    assert [ids[i] for i in id_order(ids).tolist()] == by_bytes
    keys = id_array(ids)
    assert [bool(x) for x in keys[:-1] <= keys[1:]] == [
        id_key(a) <= id_key(b) for a, b in itertools.pairwise(ids)
    ]
    assert isinstance(keys, np.ndarray)
