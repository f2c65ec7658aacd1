"""An audit's published summary (one element of ``audits.json``), and how two differ.

Pure. :func:`summary` renders one :class:`~actas.core.audit.leaves.Trail` as the
bundle publishes it; :func:`compare_summary` says how a published summary differs
from the one the leaves give. ``docs/audit.md`` §6.7 specifies both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from actas.core.audit.leaves import Trail, VotesOf
from actas.core.audit.quickcount import QuickCountEstimate
from actas.core.audit.rounds import DrawFn

__all__ = ["compare_summary", "estimate_json", "summary"]


def _num(x: float) -> float | None:
    return None if math.isinf(x) or math.isnan(x) else x


def estimate_json(est: QuickCountEstimate | None) -> dict[str, Any] | None:
    """A quick count's estimate as ``audits.json`` publishes it (shares by candidate id)."""
    if est is None:
        return None
    return {
        "confidence": est.confidence,
        "received": est.received,
        "degrees_of_freedom": est.degrees_of_freedom,
        "strata_without_data": list(est.strata_without_data),
        "shares": [
            {"candidate": x.candidate, "share": x.share, "se": x.se, "low": x.low, "high": x.high}
            for x in est.shares
        ],
    }


def summary(
    t: Trail, draws_of: DrawFn | None = None, votes_of: VotesOf | None = None
) -> dict[str, Any]:
    """One audit as ``audits.json`` publishes it (JSON-ready; floats only for p-values).

    Both kinds: ``audit``, ``kind``, ``commitment`` (``seq``, ``leaf_hash``,
    ``frame_sha256``), ``seed`` (``seq``, ``seed``; null before the seed) and
    ``sample``. A quick count's sample is ``[stratum, draw, table_id]`` per
    sampled table (strata sorted, draw order), and with ``votes_of`` (the counted
    results the bundle publishes) its ``estimate`` (:func:`estimate_json`); an RLA's
    is the table of every
    draw of the rounds so far, in draw order, and it adds ``risk_limit``,
    ``sample_size``, ``audited`` (draws in the audited prefix), ``records``
    (their leaves), ``p_value`` (null when infinite or before any draw),
    ``decision`` and ``reason``.
    """
    c = t.commitment
    out: dict[str, Any] = {
        "audit": t.audit,
        "kind": c.kind,
        "commitment": {
            "seq": t.commitment_seq,
            "leaf_hash": t.commitment_hash,
            "frame_sha256": c.frame_sha256,
        },
        "seed": None if t.seed is None else {"seq": t.seed_seq, "seed": t.seed.seed},
    }
    if c.kind == "quickcount":
        sample = t.sample()
        out["sample"] = [[h, d.number, d.table_id] for h in sorted(sample) for d in sample[h]]
        if votes_of is not None:
            out["estimate"] = estimate_json(t.estimate(votes_of))
        return out
    p = t.progress(draws_of)
    pvals = p.p_values()
    out.update(
        risk_limit=c.doc["risk_limit"],
        sample_size=p.target,
        sample=[d.table_id for d in p.draws],
        audited=p.audited_prefix,
        records=[seq for seq, _ in t.records],
        p_value=_num(pvals[-1]) if pvals else None,
        decision=p.decision,
        reason=p.reason,
    )
    return out


def compare_summary(expected: Mapping[str, Any], found: Any) -> list[tuple[str, str]]:
    """(code, message) for every way ``found`` (published) differs from ``expected`` (recomputed).

    Codes: ``audit.sample_mismatch`` (a drawn table differs: the published
    sample is not the one the seed and the committed frame give),
    ``audit.risk_mismatch`` (p-value, decision or sample size: the published
    risk does not follow from the logged audited values), ``audit.mismatch``
    (anything else).
    """
    if not isinstance(found, Mapping):
        return [("audit.mismatch", "not a JSON object")]
    out: list[tuple[str, str]] = []
    exp_sample, got_sample = expected.get("sample", []), found.get("sample")
    if exp_sample != got_sample:
        got = got_sample if isinstance(got_sample, list) else []
        for i, e in enumerate(exp_sample):
            g = got[i] if i < len(got) else None
            if g != e:
                out.append(
                    (
                        "audit.sample_mismatch",
                        f"draw {_draw_label(e, i)}: the seed and the committed frame give "
                        f"{_tid(e)}, the published sample says {_tid(g)}",
                    )
                )
                break
        if len(got) != len(exp_sample) and not out:
            out.append(
                (
                    "audit.sample_mismatch",
                    f"the seed and the committed frame give {len(exp_sample)} sampled tables, "
                    f"the published sample lists {len(got)}",
                )
            )
    for key in ("p_value", "decision", "sample_size", "audited"):
        if key in expected and (
            found.get(key) != expected[key] or type(found.get(key)) is not type(expected[key])
        ):
            out.append(
                (
                    "audit.risk_mismatch",
                    f"{key}: the logged audited values give {expected[key]!r}, "
                    f"published {found.get(key)!r}",
                )
            )
    if "estimate" in expected and not _same_numbers(expected["estimate"], found.get("estimate")):
        out.append(
            (
                "audit.estimate_mismatch",
                f"estimate: the published results of the sampled tables give "
                f"{_short(expected['estimate'])}, published {_short(found.get('estimate'))}",
            )
        )
    for key in sorted(set(expected) | set(found)):
        if key in ("sample", "p_value", "decision", "sample_size", "audited", "estimate"):
            continue
        if expected.get(key) != found.get(key):
            out.append(
                (
                    "audit.mismatch",
                    f"{key}: the leaves give {_short(expected.get(key))}, "
                    f"published {_short(found.get(key))}",
                )
            )
    return out


def _same_numbers(a: Any, b: Any) -> bool:
    """Equal JSON values, floats within a relative 1e-9 (another platform's last bits)."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return False
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_numbers(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_numbers(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _draw_label(e: Any, i: int) -> str:
    if isinstance(e, list) and len(e) == 3:
        return f"{e[1]} of stratum {e[0]}"
    return str(i + 1)


def _tid(e: Any) -> str:
    if isinstance(e, list) and len(e) == 3:
        e = e[2]
    return "nothing" if e is None else f"table {str(e)[:40]}"


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."
