"""One Jinja2 environment (autoescape on) and the links pages use.

The same templates render the live portal and the static export; only
:class:`Links` differs. Live links are absolute paths (``/tables/X``); static
links are relative file names (``../tables/X.en.html``) so the export works from
any static host and from ``file://``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup, escape

from actas.core.model import Election
from actas.web.geo import coverage_fill, winner_fill
from actas.web.humantime import Clock, election_zone
from actas.web.i18n import DEFAULT, Catalog

__all__ = ["Links", "Page", "PageRenderer", "ServerLinks", "StaticLinks", "ranked", "winner"]

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Page:
    """Which page is being rendered: ``kind`` and its argument (a code, an id, a view)."""

    kind: str  # home, map, region, table, search, downloads, methodology, audits, audit,
    # findings, conflicts, error
    arg: str = ""


class Links:
    page: Page
    lang: str
    static_mode = False

    def home(self) -> str:
        raise NotImplementedError

    def map(self, view: str = "winner") -> str:
        raise NotImplementedError

    def region(self, code: str) -> str:
        raise NotImplementedError

    def table(self, table_id: str) -> str:
        raise NotImplementedError

    def search(self, q: str = "") -> str:
        raise NotImplementedError

    def downloads(self) -> str:
        raise NotImplementedError

    def methodology(self) -> str:
        raise NotImplementedError

    def audits(self) -> str:
        raise NotImplementedError

    def audit(self, audit_id: str) -> str:
        raise NotImplementedError

    def static(self, name: str) -> str:
        raise NotImplementedError

    def listing(self, kind: str, arg: str = "", ext: str = "") -> str:
        """``/findings`` or ``/conflicts`` with filters (a query string), or its twin."""
        raise NotImplementedError

    def photo(self, sha256: str) -> str:
        raise NotImplementedError

    def download(self, name: str) -> str:
        raise NotImplementedError

    def json(self) -> str:
        raise NotImplementedError

    def switch(self, lang: str) -> str:
        raise NotImplementedError

    def of(self, page: Page) -> str:
        kind, arg = page.kind, page.arg
        if kind == "map":
            return self.map(arg or "winner")
        if kind == "region":
            return self.region(arg)
        if kind == "table":
            return self.table(arg)
        if kind == "search":
            return self.search(arg)
        if kind == "downloads":
            return self.downloads()
        if kind == "methodology":
            return self.methodology()
        if kind == "audits":
            return self.audits()
        if kind == "audit":
            return self.audit(arg)
        if kind in ("findings", "conflicts"):
            return self.listing(kind, arg)
        return self.home()


class ServerLinks(Links):
    def __init__(self, page: Page, lang: str) -> None:
        self.page = page
        self.lang = lang

    def home(self) -> str:
        return "/"

    def map(self, view: str = "winner") -> str:
        return "/map" if view == "winner" else f"/map?view={quote(view)}"

    def region(self, code: str) -> str:
        return f"/regions/{quote(code)}"

    def table(self, table_id: str) -> str:
        return f"/tables/{quote(table_id)}"

    def search(self, q: str = "") -> str:
        return "/search" + (f"?{urlencode({'q': q})}" if q else "")

    def downloads(self) -> str:
        return "/downloads"

    def methodology(self) -> str:
        return "/methodology"

    def audits(self) -> str:
        return "/audits"

    def audit(self, audit_id: str) -> str:
        return f"/audits/{quote(audit_id)}"

    def static(self, name: str) -> str:
        return f"/static/{quote(name)}"

    def listing(self, kind: str, arg: str = "", ext: str = "") -> str:
        return f"/{kind}{ext}" + (f"?{arg}" if arg else "")

    def photo(self, sha256: str) -> str:
        return f"/photos/{quote(sha256)}"

    def download(self, name: str) -> str:
        return f"/downloads/{quote(name)}"

    def json(self) -> str:
        kind, arg = self.page.kind, self.page.arg
        if kind == "home":
            return "/index.json"
        if kind == "map":
            return "/map.json"
        if kind == "search":
            return "/search.json" + (f"?{urlencode({'q': arg})}" if arg else "")
        if kind in ("findings", "conflicts"):
            return self.listing(kind, arg, ".json")
        base = self.of(self.page)
        return base + ".json"

    def switch(self, lang: str) -> str:
        url = self.of(self.page)
        return url + ("&" if "?" in url else "?") + f"lang={lang}"


class StaticLinks(Links):
    static_mode = True

    def __init__(self, page: Page, lang: str) -> None:
        self.page = page
        self.lang = lang
        self.prefix = "../" if page.kind in ("region", "table", "audit") else ""
        self.suffix = "" if lang == DEFAULT else f".{lang}"

    def _html(self, stem: str) -> str:
        return f"{self.prefix}{stem}{self.suffix}.html"

    def home(self) -> str:
        return self._html("index")

    def map(self, view: str = "winner") -> str:
        return self._html("map" if view == "winner" else f"map-{view}")

    def region(self, code: str) -> str:
        return self._html(f"regions/{quote(code)}")

    def table(self, table_id: str) -> str:
        return self._html(f"tables/{quote(table_id)}")

    def search(self, q: str = "") -> str:
        return self._html("search") + (f"?{urlencode({'q': q})}" if q else "")

    def downloads(self) -> str:
        return self._html("downloads")

    def methodology(self) -> str:
        return self._html("methodology")

    def audits(self) -> str:
        return self._html("audits")

    def audit(self, audit_id: str) -> str:
        return self._html(f"audits/{quote(audit_id)}")

    def static(self, name: str) -> str:
        return f"{self.prefix}static/{quote(name)}"

    def listing(self, kind: str, arg: str = "", ext: str = "") -> str:
        # the static export has no filtered lists: the live portal's page, unfiltered
        return self._html(kind) if not ext else f"{self.prefix}{kind}{ext}"

    def photo(self, sha256: str) -> str:
        return f"{self.prefix}photos/{quote(sha256)}"

    def download(self, name: str) -> str:
        return f"{self.prefix}downloads/{quote(name)}"

    def json(self) -> str:
        kind, arg = self.page.kind, self.page.arg
        stems = {"home": "index", "map": "map", "search": "search-index"}
        if kind in stems:
            return f"{self.prefix}{stems[kind]}.json"
        if kind == "region":
            return f"{self.prefix}regions/{quote(arg)}.json"
        if kind == "table":
            return f"{self.prefix}tables/{quote(arg)}.json"
        if kind == "audit":
            return f"{self.prefix}audits/{quote(arg)}.json"
        return f"{self.prefix}{kind}.json"

    def switch(self, lang: str) -> str:
        return StaticLinks(self.page, lang).of(self.page)


def ranked(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidates by votes, most first (ties in election order)."""
    return sorted(candidates, key=lambda c: -int(c.get("votes") or 0))


def winner(result: dict[str, Any]) -> dict[str, Any] | None:
    """``{id, name, index, margin}`` of the leading candidate, None without votes."""
    cands = result.get("candidates") or []
    valid = result.get("valid") or 0
    if not cands or not valid:
        return None
    order = ranked(cands)
    top = order[0]
    second = order[1]["votes"] if len(order) > 1 else 0
    index = next(i for i, c in enumerate(cands) if c["id"] == top["id"])
    return {
        "id": top["id"],
        "name": top["name"],
        "short": top.get("short", ""),
        "index": index,
        "margin": round((top["votes"] - second) / valid, 6),
    }


class _FoldTranslations(Extension):
    """``t("nav.home")`` (a literal key, no values) becomes, at compile time, the text
    of the environment's catalog: a constant, escaped once, free at render time."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        catalog: Catalog = self.environment.actas_catalog  # type: ignore[attr-defined]
        window: list[Token] = []
        for tok in stream:
            window.append(tok)
            if (
                len(window) >= 4
                and window[-1].type == "rparen"
                and window[-2].type == "string"
                and window[-3].type == "lparen"
                and window[-4].type == "name"
                and window[-4].value == "t"
                and (len(window) < 5 or window[-5].type != "dot")
            ):
                key = window[-2].value
                line = window[-4].lineno
                del window[-4:]
                window.append(Token(line, "string", catalog(key)))
            while len(window) > 5:
                yield window.pop(0)
        yield from window


class PageRenderer:
    """One Jinja environment per language: translations without values are folded into
    the compiled templates, numbers are formatted by the ``num``/``pct``/``pp`` filters."""

    def __init__(self, election: Election, catalogs: dict[str, Catalog]) -> None:
        self.election = election
        self.catalogs = catalogs
        self._chrome: dict[tuple[Any, ...], str] = {}

        def head(ctx: Context, title: str) -> Markup:
            return self._head(ctx, title)

        def foot(ctx: Context) -> Markup:
            return self._foot(ctx)

        self.envs: dict[str, Environment] = {}
        zone = election_zone(election)
        for lang, catalog in catalogs.items():
            env = Environment(
                loader=FileSystemLoader(TEMPLATES),
                autoescape=select_autoescape(("html", "svg"), default=True),
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,
                extensions=[_FoldTranslations],
            )
            env.extend(actas_catalog=catalog)
            env.filters.update(num=catalog.num, pct=catalog.pct, pp=catalog.pp)
            env.globals.update(
                t=catalog,
                chrome_head=pass_context(head),
                chrome_foot=pass_context(foot),
                ranked=ranked,
                winner=winner,
                winner_fill=winner_fill,
                coverage_fill=coverage_fill,
                clock=Clock(zone, catalog),
            )
            self.envs[lang] = env
        self.env = self.envs[DEFAULT]

    def render(self, template: str, links: Links, **context: Any) -> str:
        election = self.election
        return (
            self.envs[links.lang]
            .get_template(template)
            .render(
                lang=links.lang,
                links=links,
                election=election,
                election_name=election.name_en
                if links.lang == "en" and election.name_en
                else election.name,
                level_name=self.level_name(links.lang),
                **context,
            )
        )

    def level_name(self, lang: str) -> dict[str, str]:
        return {
            lv.id: (lv.name_en if lang == "en" and lv.name_en else lv.name)
            for lv in self.election.levels
        }

    # The top and bottom of every page are the same for every page of a kind in a
    # language, except three links and the title: render them once, fill those in.

    def _chrome_part(self, name: str, ctx: Context) -> str:
        links: Links = ctx["links"]
        cp = ctx.get("checkpoint") or {}
        key = (
            name,
            type(links).__name__,
            links.lang,
            links.page.kind,
            cp.get("size"),
            cp.get("created_at"),
        )
        text = self._chrome.get(key)
        if text is None:
            values = {k: ctx[k] for k in ("lang", "election", "election_name", "page")}
            text = self._chrome[key] = (
                self.envs[links.lang]
                .get_template(name)
                .render(
                    links=_Placeholders(links),
                    checkpoint=ctx.get("checkpoint"),
                    title=_TITLE,
                    **values,
                )
            )
        text = text.replace("@@json@@", str(escape(links.json())))
        for lang in self.catalogs:
            text = text.replace(f"@@switch-{lang}@@", str(escape(links.switch(lang))))
        return text

    # Both parts come from autoescaped templates; what is filled in is escaped above,
    # and the title is the page's own autoescaped title block.
    def _head(self, ctx: Context, title: str) -> Markup:
        return Markup(  # noqa: S704
            self._chrome_part("_head.html", ctx).replace(_TITLE, str(title))
        )

    def _foot(self, ctx: Context) -> Markup:
        return Markup(self._chrome_part("_foot.html", ctx))  # noqa: S704


_TITLE = "@@title@@"


class _Placeholders:
    """The links of a page, with its page-specific ones left as markers."""

    def __init__(self, real: Links) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def json(self) -> str:
        return "@@json@@"

    def switch(self, lang: str) -> str:
        return f"@@switch-{lang}@@"
