"""The portal's pages: their data (the JSON twins) and their HTML.

Each page is built in two steps: ``*_data`` returns a language-independent
dict (exactly what ``.json`` serves), and :meth:`Site.html` renders it with a
language and a set of links. The live app and the static export share both.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from actas.app import audits, results
from actas.app.service import Service
from actas.core.errors import InputError
from actas.web import queries
from actas.web.cache import EntryCache, Versioned, dump_json
from actas.web.fastpath import FastCache
from actas.web.geo import (
    COVERAGE_COLOURS,
    COVERAGE_STEPS,
    MARGIN_STEPS,
    NO_DATA,
    PALETTE,
    GeoMap,
    coverage_fill,
    load_map,
    winner_fill,
)
from actas.web.i18n import DEFAULT, Catalog, load_catalogs
from actas.web.render import Links, Page, PageRenderer, winner

__all__ = ["Site"]

API_PATHS = ("/api/v1/results", "/api/v1/checkpoint", "/api/v1/openapi.json")
DEFAULT_ATTRIBUTION = "geoBoundaries (www.geoboundaries.org), CC BY 3.0 IGO"
AUDIT_ID = re.compile(r"[a-z]{1,8}-[0-9]{1,9}")


class Site:
    def __init__(
        self,
        svc: Service,
        *,
        geometry: Path | None = None,
        bundle_dir: Path | None = None,
        ttl: float = 1.0,
    ) -> None:
        self.svc = svc
        self.election = svc.election
        self.catalogs = load_catalogs()
        self.renderer = PageRenderer(svc.election, self.catalogs)
        self.cache = EntryCache()
        self.fast = FastCache()
        self.snapshots = Versioned(lambda: queries.snapshot(svc), ttl)
        self.geometry = geometry
        self.bundle_dir = bundle_dir
        self._geo: GeoMap | None = None
        self._geo_loaded = False
        self._top: tuple[tuple[int, int, str], list[int]] | None = None
        self.colours = {
            c.id: PALETTE[i % len(PALETTE)] for i, c in enumerate(svc.election.candidates)
        }
        self.candidate_names = {c.id: c.name for c in svc.election.candidates}

    def snap(self) -> queries.Snapshot:
        value: queries.Snapshot = self.snapshots.get()
        return value

    # ----------------------------------------------------------------- geometry

    def geo(self) -> GeoMap | None:
        if not self._geo_loaded:
            path = self.geometry
            if path is None and self.election.geometry:
                candidate = Path(self.election.geometry)
                path = candidate if candidate.is_file() else None
            if path is not None and path.is_file():
                names = dict(self.election.region_names)
                for r in results.results(self.svc, level=0):
                    if r["name"]:
                        names.setdefault(r["code"], r["name"])
                self._geo = load_map(path, names, self.election.geometry_key)
            self._geo_loaded = True
        return self._geo

    # ----------------------------------------------------------------- page data

    def home_data(self, snap: queries.Snapshot) -> dict[str, Any]:
        national = results.results(self.svc)
        nat = national[0] if national else None
        return {
            "election": {"id": self.election.id, "name": self.election.name},
            "national": nat,
            "states": results.children(self.svc, ""),
            "claims": queries.claims(self.svc, nat),
            "checkpoint": snap.checkpoint.to_json() if snap.checkpoint else None,
            "log_size": snap.size,
            "updated_at": snap.modified or None,  # the latest receipt or checkpoint
        }

    def map_data(self) -> dict[str, Any]:
        states = results.children(self.svc, "")
        geo = self.geo()
        rows = []
        for r in states:
            w = winner(r)
            rows.append(
                {
                    "code": r["code"],
                    "name": r["name"],
                    "winner": w["id"] if w else None,
                    "margin": w["margin"] if w else None,
                    "coverage": r["tables"]["coverage"],
                    "tables_counted": r["tables"]["counted"],
                    "tables_expected": r["tables"]["expected"],
                }
            )
        return {
            "states": rows,
            "geometry": None
            if geo is None
            else {
                "file": Path(geo.source).name,
                "attribution": self.attribution(),
                "matched": [f.code for f in geo.features],
                "unmatched": list(geo.unmatched),
            },
        }

    def attribution(self) -> str:
        return self.election.attribution or DEFAULT_ATTRIBUTION

    def downloads_data(self, snap: queries.Snapshot) -> dict[str, Any]:
        from actas.web.files import bundle_files

        store = self.svc.store
        return {
            "verifier_key": store.get_meta("verifier_key"),
            "bundle": bundle_files(self.bundle_dir),
            "checkpoints": [
                {"size": n, "note": note, "created_at": at} for n, note, at in store.checkpoints()
            ][::-1],
            "sources": [
                {
                    k: src[k]
                    for k in ("channel", "name", "sha256", "received_at", "rows_read", "loaded")
                    if k in src
                }
                for src in store.list_sources()
            ],
            "log_size": snap.size,
        }

    def methodology_data(self) -> dict[str, Any]:
        e = self.election
        return {
            "election": {
                "id": e.id,
                "name": e.name,
                "name_en": e.name_en,
                "date": e.date,
                "expected_tables": e.expected_tables,
                "expected_registered": e.expected_registered,
                "expected_source": e.expected_source,
                "levels": [lv.id for lv in e.levels],
                "candidates": [
                    {"id": c.id, "name": c.name, "short": c.short} for c in e.candidates
                ],
            },
            "log_format": "docs/log-format.md",
        }

    def audits_data(self) -> dict[str, Any]:
        return {"audits": audits.overview(self.svc)}

    def audit_data(self, audit_id: str) -> dict[str, Any]:
        """An audit's status (``actas audit status --json``); 404 when there is none."""
        return audits.status(self.svc, valid_audit_id(audit_id))

    # ----------------------------------------------------------------- HTML

    def html(self, page: Page, data: dict[str, Any], links: Links, snap: queries.Snapshot) -> str:
        t = self.catalogs[links.lang]
        context: dict[str, Any] = {
            "page": page,
            "checkpoint": snap.checkpoint.to_json() if snap.checkpoint else None,
            "colours": self.colours,
            "candidate_names": self.candidate_names,
        }
        extra = getattr(self, f"_ctx_{page.kind}")(data, t, links)
        context.update(extra)
        return self.renderer.render(f"{page.kind}.html", links, **context)

    def _ctx_home(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {
            "national": data["national"],
            "states": data["states"],
            "claims": data["claims"],
            "log_size": data["log_size"],
            "updated_at": data.get("updated_at"),
        }

    def _ctx_map(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        view = links.page.arg or "winner"
        fills: dict[str, str] = {}
        labels: dict[str, str] = {}
        winners: set[int] = set()
        index = {c.id: i for i, c in enumerate(self.election.candidates)}
        for r in data["states"]:
            code, name = r["code"], r["name"] or r["code"]
            if view == "coverage":
                fills[code] = coverage_fill(r["coverage"])
                labels[code] = t("map.label_coverage", name=name, coverage=t.pct(r["coverage"]))
            elif r["winner"] is not None:
                i = index[r["winner"]]
                winners.add(i)
                fills[code] = winner_fill(i, r["margin"])
                labels[code] = t(
                    "map.label_winner",
                    name=name,
                    winner=self.election.candidates[i].name,
                    margin=t.pp(r["margin"]),
                )
        legend: list[dict[str, str]] = []
        if view == "coverage":
            if any(r["coverage"] is None for r in data["states"]):
                legend.append({"fill": NO_DATA, "label": t("map.no_expected")})
            bounds = (0.0, *COVERAGE_STEPS, 1.0)
            for i, colour in enumerate(COVERAGE_COLOURS):
                legend.append(
                    {
                        "fill": colour,
                        "label": t("map.range", lo=t.pct(bounds[i], 0), hi=t.pct(bounds[i + 1], 0)),
                    }
                )
        else:
            for i in sorted(winners):
                legend.append(
                    {"fill": winner_fill(i, 1.0), "label": self.election.candidates[i].name}
                )
            steps = (0.0, *MARGIN_STEPS)
            shade = min(winners) if winners else 0
            for k, lo in enumerate(steps):
                hi = steps[k + 1] if k + 1 < len(steps) else None
                label = (
                    t("map.margin_range", lo=t.pp(lo, 0), hi=t.pp(hi, 0))
                    if hi is not None
                    else t("map.margin_above", lo=t.pp(lo, 0))
                )
                legend.append({"fill": winner_fill(shade, lo), "label": label})
        states = results.children(self.svc, "")
        return {
            "view": view,
            "geo": self.geo(),
            "fills": fills,
            "labels": labels,
            "legend": legend,
            "attribution": self.attribution(),
            "states": states,
            "with_results": {r["code"] for r in states},
            "no_data": NO_DATA,
        }

    def _ctx_region(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {"data": data, "top": self.top_candidates()}

    def top_candidates(self) -> list[int]:
        """The two candidates with most votes nationally (columns of the table lists)."""
        key = self.snap().key
        if self._top is None or self._top[0] != key:
            self._top = (key, self._top_candidates())
        return self._top[1]

    def _top_candidates(self) -> list[int]:
        national = results.results(self.svc)
        if not national:
            return list(range(min(2, len(self.election.candidates))))
        votes = [c["votes"] for c in national[0]["candidates"]]
        order = sorted(range(len(votes)), key=lambda i: -votes[i])
        return sorted(order[:2])

    def _ctx_table(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        leaves = [
            {
                "seq": s["seq"],
                "leaf": s["leaf"],
                "leaf_hash": s["leaf_hash"],
                "tree_size": s["inclusion"]["tree_size"],
                "proof": s["inclusion"]["proof"],
            }
            for s in data["submissions"]
            if s["inclusion"]
        ]
        cp = data["checkpoint"]
        verify = {"note": cp["note"] if cp else "", "leaves": leaves}
        return {"data": data, "proofs": bool(leaves), "verify_json": dump_json(verify).decode()}

    def _ctx_search(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {
            "query": data.get("query", ""),
            "results": data.get("results", []),
            "error": data.get("error"),
        }

    def script_messages(self, lang: str) -> bytes:
        """``static/i18n.<lang>.js``: the messages the scripts show, from the catalog."""
        t = self.catalogs[lang]
        verify = {
            k.removeprefix("verify.js."): v
            for k, v in t.messages.items()
            if k.startswith("verify.js.")
        }
        search = {
            "none": t("search.none"),
            "results": t("search.results.other", n="{n}"),
            "results_one": t("search.results.one", n="{n}"),
            "table": t("table.title", id="{id}"),
            "error": t("search.bad_query"),
            "suffix": "" if lang == DEFAULT else f".{lang}",
            "levels": self.renderer.level_name(lang),
        }
        body = dump_json({"verify": verify, "search": search})
        return b"window.ACTAS_I18N=" + body + b";\n"

    def _ctx_downloads(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {
            "verifier_key": data["verifier_key"],
            "files": data["bundle"],
            "checkpoints": data["checkpoints"],
            "sources": data["sources"],
            "api_paths": API_PATHS,
        }

    def _ctx_methodology(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {}

    def _ctx_audits(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {"audits": data["audits"]}

    def _ctx_audit(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        """Each drawn table's state: audited, pending or discrepancy (RLA)."""
        if data["kind"] != "rla":
            return {"data": data}
        wrong = {x["table_id"] for x in data["discrepancies"]}
        rows = []
        for d in data["draws"]:
            state = "pending"
            if d["audited"]:
                differs = d["table_id"] in wrong or d.get("matches") is False
                state = "discrepancy" if differs else "audited"
            rows.append({**d, "state": state})
        done = sum(1 for d in data["draws"] if d["audited"])
        return {"data": data, "rows": rows, "done": done}

    def _ctx_findings(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {"data": data, "levels": self.election.levels}

    def _ctx_conflicts(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return {"data": data}

    def _ctx_error(self, data: dict[str, Any], t: Catalog, links: Links) -> dict[str, Any]:
        return dict(data)


def valid_audit_id(audit_id: str) -> str:
    """An audit id is a short kind, a hyphen and a number (``rla-2``, ``qc-1``)."""
    if not AUDIT_ID.fullmatch(audit_id):
        raise InputError("an audit id is a kind and a number, like rla-2 or qc-1")
    return audit_id
