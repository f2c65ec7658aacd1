"""The states map: GeoJSON features matched to region codes, projected to SVG paths.

Features are matched to top-level regions by name: accents, case and
punctuation are folded away, prefixes such as ``EDO.`` / ``DTTO.`` dropped, and
the few names that differ in substance are mapped explicitly (``DTTO. CAPITAL``
is the feature ``Caracas``). A feature whose ``geometry_key`` property already
holds a region code is taken as is. Features that match no region (Venezuela's
Dependencias Federales have no CNE state code) are left out.

Projection: equirectangular, longitude scaled by the cosine of the middle
latitude, into a viewBox ``WIDTH`` wide; points closer than ``MIN_STEP`` units
to the previous kept point are dropped. Computed once per app.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actas.adapters.store.sql import fold_name

__all__ = ["Feature", "GeoMap", "load_map", "name_key"]

WIDTH = 800.0
MIN_STEP = 0.9
_PREFIXES = {"edo", "estado", "dtto", "distrito", "dto", "state"}
# Registry spellings that are not the same name as the boundary file's, folded.
ALIASES = {
    "capital": "caracas",
    "distrito capital": "caracas",
    "nva esparta": "nueva esparta",
    "delta amac": "delta amacuro",
    "vargas": "la guaira",
}


def name_key(name: str) -> str:
    """``"EDO.NVA.ESPARTA"`` -> ``"nueva esparta"``; ``"Táchira"`` -> ``"tachira"``."""
    words = re.sub(r"[^a-z0-9]+", " ", fold_name(name)).split()
    while len(words) > 1 and words[0] in _PREFIXES:
        words.pop(0)
    key = " ".join(words)
    return ALIASES.get(key, key)


@dataclass(frozen=True, slots=True)
class Feature:
    code: str
    name: str  # the feature's own name
    d: str  # SVG path data
    cx: float  # label anchor (bounding-box centre)
    cy: float


@dataclass(frozen=True, slots=True)
class GeoMap:
    width: float
    height: float
    features: tuple[Feature, ...]
    unmatched: tuple[str, ...]
    source: str

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:.0f} {self.height:.0f}"


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for poly in coords for ring in poly]
    return []


def _match(props: Mapping[str, Any], key: str, names: Mapping[str, str]) -> str | None:
    value = props.get(key)
    if not isinstance(value, str):
        return None
    if value in names:
        return value
    wanted = name_key(value)
    for code, name in names.items():
        if name_key(name) == wanted:
            return code
    return None


def load_map(path: Path, names: Mapping[str, str], key: str = "") -> GeoMap:
    """Read a GeoJSON FeatureCollection; ``names`` maps top-level codes to names."""
    data = json.loads(path.read_text("utf-8"))
    key = key or "shapeName"
    chosen: list[tuple[str, str, list[list[list[float]]]]] = []
    unmatched = []
    for feat in data.get("features", []):
        props = feat.get("properties") or {}
        code = _match(props, key, names)
        label = str(props.get(key, ""))
        if code is None:
            unmatched.append(label)
            continue
        chosen.append((code, label, _rings(feat.get("geometry") or {})))
    points = [pt for _, _, rings in chosen for ring in rings for pt in ring]
    if not points:
        return GeoMap(WIDTH, WIDTH / 2, (), tuple(unmatched), str(path))
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    x0, x1, y0, y1 = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = WIDTH / ((x1 - x0) * kx)
    height = (y1 - y0) * scale

    def project(ring: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for lon, lat, *_ in ring:
            pt = ((lon - x0) * kx * scale, (y1 - lat) * scale)
            if out and abs(pt[0] - out[-1][0]) + abs(pt[1] - out[-1][1]) < MIN_STEP:
                continue
            out.append(pt)
        return out

    features = []
    for code, label, rings in sorted(chosen):
        parts = []
        xs: list[float] = []
        ys: list[float] = []
        for ring in rings:
            pts = project(ring)
            if len(pts) < 3:
                continue
            xs += [p[0] for p in pts]
            ys += [p[1] for p in pts]
            parts.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
        if parts:
            cx = (min(xs) + max(xs)) / 2
            cy = (min(ys) + max(ys)) / 2
            features.append(Feature(code, label, "".join(parts), round(cx, 1), round(cy, 1)))
    return GeoMap(WIDTH, round(height, 1), tuple(features), tuple(unmatched), str(path))


# --------------------------------------------------------------------------- colours

# Colour-blind-safe base colours (Okabe-Ito, then Tol), one per candidate in election order.
PALETTE = (
    "#d55e00",
    "#0072b2",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#882255",
    "#332288",
    "#117733",
    "#999933",
)
MARGIN_STEPS = (0.05, 0.15, 0.30)  # margin bins: < 5 pp, 5-15, 15-30, >= 30
COVERAGE_STEPS = (0.5, 0.7, 0.8, 0.9)
COVERAGE_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#dddddd"


def _mix(colour: str, weight: float) -> str:
    """``colour`` mixed with white: weight 1 is the colour, 0 is white."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * weight):02x}" for c in (r, g, b))


def winner_fill(index: int, margin: float) -> str:
    step = sum(1 for t in MARGIN_STEPS if margin >= t)
    return _mix(PALETTE[index % len(PALETTE)], (0.35, 0.55, 0.78, 1.0)[step])


def coverage_fill(coverage: float | None) -> str:
    if coverage is None:
        return NO_DATA
    return COVERAGE_COLOURS[sum(1 for t in COVERAGE_STEPS if coverage >= t)]
