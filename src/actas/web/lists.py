"""``/findings`` and ``/conflicts``: the tables with findings or in conflict, browsable.

Both filter by region (a code: the tables under it), and ``/findings`` by finding code
and severity. Each page has a JSON twin (``.json``) and a CSV download (``.csv``) of
the same rows. The filters arrive as the page's argument (a query string), so each
combination is cached like any page.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qsl, urlencode

from actas.app import results as use
from actas.app.context import Context
from actas.core.errors import InputError
from actas.web import queries

__all__ = [
    "LIMIT",
    "conflicts_csv",
    "conflicts_data",
    "filters_arg",
    "findings_csv",
    "findings_data",
]

LIMIT = 1000
SEVERITIES = ("info", "warning", "error")


def filters_arg(ctx: Context, region: str, code: str, severity: str) -> str:
    """The filters, checked, as the canonical query string the page is keyed by."""
    if region:
        queries.valid_region(ctx.election, region)
    if code and (len(code) > 64 or not all(c.isalnum() or c in "_." for c in code)):
        raise InputError("a finding code is letters, digits, '_' and '.'")
    if severity and severity not in SEVERITIES:
        raise InputError("severity is info, warning or error")
    pairs = [("region", region), ("code", code), ("severity", severity)]
    return urlencode([(k, v) for k, v in pairs if v])


def _filters(arg: str) -> dict[str, str]:
    return dict(parse_qsl(arg))


def _under(ctx: Context, table_id: str | None, region: str) -> bool:
    if not region:
        return True
    if not table_id:
        return False
    try:
        return region in ctx.election.scheme.region_codes(table_id)
    except ValueError:
        return False


def findings_data(ctx: Context, arg: str) -> dict[str, Any]:
    f = _filters(arg)
    region = f.get("region", "")
    found = use.findings(ctx, f.get("code") or None, f.get("severity") or None, LIMIT)
    items = [x for x in found["findings"] if _under(ctx, x.get("table_id"), region)]
    return {
        "filters": {k: f.get(k, "") for k in ("region", "code", "severity")},
        "summary": found["summary"],
        "findings": items,
        "limit": LIMIT,
    }


def conflicts_data(ctx: Context, arg: str) -> dict[str, Any]:
    f = _filters(arg)
    region = f.get("region", "")
    items = [c for c in use.conflicts(ctx) if _under(ctx, c["table_id"], region)]
    return {"filters": {"region": region}, "conflicts": items[:LIMIT], "limit": LIMIT}


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def findings_csv(data: dict[str, Any]) -> bytes:
    rows = [
        [x.get("table_id", ""), x["seq"], x["code"], x["severity"], x["message"]]
        for x in data["findings"]
    ]
    return _csv(["table_id", "leaf", "code", "severity", "message"], rows)


def conflicts_csv(ctx: Context, data: dict[str, Any]) -> bytes:
    """One row per version of each conflicting table: its leaf, channel and counts."""
    names = [c.id for c in ctx.election.candidates]
    rows = []
    for c in data["conflicts"]:
        for v in c["versions"]:
            counts = v["counts"] or {}
            votes = list(counts.get("votes") or [])
            votes += [""] * (len(names) - len(votes))
            rows.append(
                [
                    c["table_id"],
                    " ".join(c["differing"]),
                    v["seq"],
                    v["channel"],
                    counts.get("null", ""),
                    counts.get("registered", ""),
                    *votes,
                ]
            )
    header = ["table_id", "differing", "leaf", "channel", "null", "registered", *names]
    return _csv(header, rows)
