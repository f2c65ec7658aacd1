"""``actas publish DIR``: the whole portal as static files.

Every page in Spanish (``x.html``) and English (``x.en.html``), every JSON twin
(``x.json``), every table with its proofs, the assets and a client-side search
index. Links are relative, so the folder works from any static host and from
``file://``; the "verify here" button needs no server. Everything is read once
(:class:`~actas.web.bulk.Bulk`) and rendered with one Jinja environment.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actas.adapters.store.sql import fold_name
from actas.app.service import Service
from actas.web import lists
from actas.web.bulk import Bulk
from actas.web.cache import dump_json
from actas.web.files import public_photo
from actas.web.i18n import DEFAULT, LANGS
from actas.web.pages import STATIC
from actas.web.render import Page, StaticLinks
from actas.web.site import Site

__all__ = ["publish"]

Progress = Callable[[int, int], None]
CHUNK = 500
PARALLEL_FROM = 5000  # below this many pages one process is faster than forking
ASSETS = ("style.css", "verify.js", "search.js", "time.js")


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self._dirs: set[Path] = set()

    def __call__(self, rel: str, data: bytes | str) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path = self.root / rel
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, raw)
        finally:
            os.close(fd)
        self.files += 1
        self.bytes += len(raw)


def _html_name(stem: str, lang: str) -> str:
    return f"{stem}.html" if lang == DEFAULT else f"{stem}.{lang}.html"


def publish(
    svc: Service,
    out: Path,
    *,
    geometry: Path | None = None,
    bundle_dir: Path | None = None,
    langs: tuple[str, ...] = LANGS,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Render the portal into ``out`` (created if needed); returns a summary.

    Region and table pages are rendered in ``workers`` forked processes (default:
    4 to 8 for large elections, 1 for small ones); everything they need is read
    before forking.
    """
    started = time.perf_counter()
    site = Site(svc, geometry=geometry, bundle_dir=bundle_dir, ttl=float("inf"))
    snap = site.snap()
    cp = snap.checkpoint
    bulk = Bulk(svc)
    write = _Writer(out)
    out.mkdir(parents=True, exist_ok=True)

    for name in ASSETS:
        write(f"static/{name}", (STATIC / name).read_bytes())
    for lang in langs:
        write(f"static/i18n.{lang}.js", site.script_messages(lang))

    def page(p: Page, stem: str, data: dict[str, Any]) -> None:
        for lang in langs:
            write(_html_name(stem, lang), site.html(p, data, StaticLinks(p, lang), snap))

    home = site.home_data(snap)
    page(Page("home"), "index", home)
    write("index.json", dump_json(home))
    mapdata = site.map_data()
    page(Page("map", "winner"), "map", mapdata)
    page(Page("map", "coverage"), "map-coverage", mapdata)
    write("map.json", dump_json(mapdata))
    page(Page("search"), "search", {"query": "", "results": []})
    downloads = site.downloads_data(snap)
    if bundle_dir is not None:
        for f in downloads["bundle"]:
            dest = out / "downloads" / f["name"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(bundle_dir / f["name"], dest)
    page(Page("downloads"), "downloads", downloads)
    write("downloads.json", dump_json(downloads))
    method = site.methodology_data()
    page(Page("methodology"), "methodology", method)
    write("methodology.json", dump_json(method))
    for kind, build in (("findings", lists.findings_data), ("conflicts", lists.conflicts_data)):
        rows = build(site.svc, "")
        page(Page(kind), kind, rows)
        write(f"{kind}.json", dump_json(rows))
        as_csv = (
            lists.findings_csv(rows) if kind == "findings" else lists.conflicts_csv(site.svc, rows)
        )
        write(f"{kind}.csv", as_csv)
    listed = site.audits_data()
    page(Page("audits"), "audits", listed)
    write("audits.json", dump_json(listed))
    write("api/v1/audits.json", dump_json(listed))
    for a in listed["audits"]:
        status = site.audit_data(a["audit"])
        page(Page("audit", a["audit"]), f"audits/{a['audit']}", status)
        write(f"audits/{a['audit']}.json", dump_json(status))

    # the API's main reads, as files
    if bulk.national is not None:
        write("api/v1/results.json", dump_json(bulk.national))
    write("api/v1/election.json", dump_json(method["election"]))
    if cp is not None:
        write("api/v1/checkpoint.json", dump_json(cp.to_json()))
        write("checkpoint.txt", cp.note)
        write("verifier.pub", cp.verifier_key + "\n")

    regions = sorted(bulk.regions)
    tables = bulk.table_ids()
    chunks = [("region", regions[i : i + CHUNK]) for i in range(0, len(regions), CHUNK)]
    chunks += [("table", tables[i : i + CHUNK]) for i in range(0, len(tables), CHUNK)]
    total = len(regions) + len(tables)
    if workers is None:
        # more workers than cores on purpose: each also waits on creating its files
        workers = min(max(4, os.cpu_count() or 1), 8) if total >= PARALLEL_FROM else 1
    (out / "regions").mkdir(exist_ok=True)
    (out / "tables").mkdir(exist_ok=True)
    site.top_candidates()  # read once here, not in every worker
    _JOB.clear()
    _JOB.update(site=site, bulk=bulk, snap=snap, out=out, langs=langs)
    done = photos = 0
    try:
        if workers > 1 and "fork" in mp.get_all_start_methods():
            with mp.get_context("fork").Pool(workers, initializer=_child_init) as pool:
                results = pool.imap_unordered(_render_chunk, chunks)
                for n, files, nbytes, nphotos in results:
                    done, photos = done + n, photos + nphotos
                    write.files += files
                    write.bytes += nbytes
                    if progress:
                        progress(done, total)
        else:
            for chunk in chunks:
                n, files, nbytes, nphotos = _render_chunk(chunk)
                done, photos = done + n, photos + nphotos
                write.files += files
                write.bytes += nbytes
                if progress:
                    progress(done, total)
    finally:
        _JOB.clear()

    index = {
        "tables": tables,
        "regions": [
            [
                code,
                svc.election.levels[svc.election.scheme.level_of(code)].id,
                name,
                fold_name(name),
            ]
            for code, name in sorted(bulk.names.items())
            if code in bulk.regions
        ],
    }
    write("static/search-index.js", b"window.ACTAS_SEARCH=" + dump_json(index) + b";\n")
    write("search-index.json", dump_json(index))
    if progress:
        progress(total, total)
    return {
        "dir": str(out),
        "tables": len(tables),
        "regions": len(regions),
        "files": write.files,
        "bytes": write.bytes,
        "photos": photos,
        "checkpoint": cp.size if cp else None,
        "seconds": round(time.perf_counter() - started, 2),
    }


# The state the chunk renderers read: set before forking, inherited by the workers.
_JOB: dict[str, Any] = {}


def _child_init() -> None:
    site: Site = _JOB["site"]
    site.svc.after_fork()  # never share the parent's connections


def _render_chunk(chunk: tuple[str, list[str]]) -> tuple[int, int, int, int]:
    kind, items = chunk
    site: Site = _JOB["site"]
    bulk: Bulk = _JOB["bulk"]
    snap = _JOB["snap"]
    langs: tuple[str, ...] = _JOB["langs"]
    write = _Writer(_JOB["out"])
    photos = 0
    for item in items:
        data = bulk.region(item) if kind == "region" else bulk.table(item, snap.checkpoint)
        folder = "regions" if kind == "region" else "tables"
        write(f"{folder}/{item}.json", dump_json(data))
        p = Page(kind, item)
        for lang in langs:
            html = site.html(p, data, StaticLinks(p, lang), snap)
            write(f"{folder}/{_html_name(item, lang)}", html)
        if kind == "table":
            for s in data["submissions"]:
                image = public_photo(site.svc, s["blob_sha256"]) if s["blob_sha256"] else None
                if image is not None:
                    write(f"photos/{s['blob_sha256']}", image)
                    photos += 1
    return len(items), write.files, write.bytes, photos
