"""The portal's text comes only from the catalogs, and both catalogs say the same things.

- ``locales/es.json`` and ``locales/en.json`` have the same keys and placeholders;
- every key the templates and the web code use exists;
- templates hold no UI text of their own: outside Jinja expressions and tags only
  punctuation remains, and text attributes (alt, title, aria-label, placeholder)
  come from the translation function.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1] / "src" / "actas" / "web"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
CATALOGS = {
    lang: json.loads((WEB / "locales" / f"{lang}.json").read_text("utf-8")) for lang in ("es", "en")
}
KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
PLURAL = re.compile(r"""\bt\.count\(\s*["']([a-z0-9_.]+)["']""")
# the first argument of a Finding built in the package: every code has a label
FINDING = re.compile(r'(?:\bFinding|\b_f)\(\s*"([a-z_]+\.[a-z_]+)"')
DYNAMIC = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*~""")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    es, en = CATALOGS["es"], CATALOGS["en"]
    assert set(es) == set(en), set(es) ^ set(en)
    for key in es:
        assert set(PLACEHOLDER.findall(es[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert es[key].strip() and en[key].strip(), key


def test_every_used_key_exists() -> None:
    sources = [p.read_text("utf-8") for p in TEMPLATES]
    sources += [p.read_text("utf-8") for p in WEB.glob("*.py")]
    used = {k for src in sources for k in KEY.findall(src)}
    assert len(used) > 100
    missing = sorted(
        k
        for k in used
        if k not in CATALOGS["es"]
        and not any(k == prefix for src in sources for prefix in DYNAMIC.findall(src))
    )
    assert not missing, missing
    from actas.core.model import Severity, SubmissionKind
    from actas.core.results.reconcile import Status

    dynamic = (
        [f"status.{s}" for s in Status]
        + [f"sev.{s}" for s in Severity]
        + [f"kind.{k}" for k in SubmissionKind]
        + [f"lang.{x}" for x in ("es", "en")]
        + [f"map.svg_title_{v}" for v in ("winner", "coverage")]
        + [
            f"method.{s}.{x}"
            for s in ("sources", "log", "counting", "coverage", "verify", "limits")
            for x in "hp"
        ]
    )
    assert not [k for k in dynamic if k not in CATALOGS["es"]]


def test_plurals_have_both_forms_and_no_template_uses_a_bare_plural_key() -> None:
    sources = [p.read_text("utf-8") for p in TEMPLATES]
    sources += [p.read_text("utf-8") for p in WEB.glob("*.py")]
    used = {k for src in sources for k in PLURAL.findall(src)}
    assert {"table.agreeing", "people.grade_line", "search.results"} <= used
    for key in used:
        for form in ("one", "other"):
            assert f"{key}.{form}" in CATALOGS["es"], f"{key}.{form}"
    for lang, catalog in CATALOGS.items():
        for key, text in catalog.items():
            assert "(s)" not in text and "(es)" not in text, f"{lang} {key}: {text!r}"


def test_every_finding_code_and_table_state_has_words() -> None:
    from actas.core.results.tablestate import STATES, WAITING

    package = WEB.parent
    codes = {
        code for path in package.rglob("*.py") for code in FINDING.findall(path.read_text("utf-8"))
    }
    assert {"sum.valid_mismatch", "photo.resent", "row.bad_value"} <= codes
    keys = [f"finding.{c}" for c in sorted(codes)]
    keys += [f"state.{s}" for s in STATES] + [f"state.short.{s}" for s in STATES]
    keys += [f"state.next.{s}" for s in STATES if s != "received"]
    keys += [f"state.next.received.{w}" for w in WAITING]
    from actas.core.results.reconcile import _FIELDS

    keys += [f"field.{f}" for f in _FIELDS]
    missing = [k for k in keys if k not in CATALOGS["es"]]
    assert not missing, missing


def _strip(source: str) -> str:
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<script\b[^>]*>.*?</script>", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    return re.sub(r"<[^>]*>", " ", text)


@pytest.mark.parametrize("template", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_templates_have_no_hard_coded_text(template: Path) -> None:
    source = template.read_text("utf-8")
    leftover = _strip(source)
    words = [w for w in re.findall(r"\w+", leftover) if any(c.isalpha() for c in w)]
    assert not words, f"{template.name}: text outside the translation function: {words[:10]}"
    for attr, value in re.findall(
        r'\b(alt|title|aria-label|placeholder|summary)="([^"]*)"', source
    ):
        rest = re.sub(r"\{\{.*?\}\}", "", value)
        assert not any(c.isalpha() for c in rest), f"{template.name}: {attr}={value!r}"


def test_no_template_marks_data_safe_except_embedded_json() -> None:
    for template in TEMPLATES:
        for expr in re.findall(r"\{\{([^}]*\|\s*safe[^}]*)\}\}", template.read_text("utf-8")):
            assert expr.strip() == "verify_json | safe", f"{template.name}: {expr}"
