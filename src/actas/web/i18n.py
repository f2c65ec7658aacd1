"""Translations: flat JSON catalogs (``locales/es.json``, ``locales/en.json``).

Spanish is the default. Templates call ``t("home.log_size", size=n)``; numbers and
shares are formatted for the language; ``t.count("table.agreeing", n)`` picks the
singular or plural message (``table.agreeing.one``/``.other``). Numbers and
shares are formatted for the language (``7.156.462`` and ``67,1 %`` in Spanish,
``7,156,462`` and ``67.1%`` in English). A missing key is a bug: the test suite
checks both catalogs have the same keys and every template key exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT", "LANGS", "Catalog", "load_catalogs", "pick_lang"]

DEFAULT = "es"
LANGS = ("es", "en")
LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True)
class Catalog:
    lang: str
    messages: Mapping[str, str]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.messages.get(key)
        if text is None:
            raise KeyError(f"no message {key!r} in the {self.lang} catalog")
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages

    def count(self, key: str, n: int, **values: Any) -> str:
        """``key.one`` when ``n`` is 1, else ``key.other``; ``{n}`` is the formatted number
        (both languages here have these two plural forms)."""
        return self(f"{key}.{'one' if n == 1 else 'other'}", n=self.num(n), **values)

    def num(self, value: int | None) -> str:
        if value is None:
            return "—"
        text = f"{value:,}"
        return text.replace(",", ".") if self.lang == "es" else text

    def pct(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        text = f"{100 * value:.{digits}f}"
        return text.replace(".", ",") + " %" if self.lang == "es" else text + "%"

    def pp(self, value: float | None, digits: int = 1) -> str:
        """A difference of shares in percentage points."""
        if value is None:
            return "—"
        text = f"{100 * value:.{digits}f}"
        return text.replace(".", ",") + " pp" if self.lang == "es" else text + " pp"


def load_catalogs(folder: Path = LOCALES) -> dict[str, Catalog]:
    out = {}
    for lang in LANGS:
        data = json.loads((folder / f"{lang}.json").read_text("utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{lang}.json must map keys to strings")
        out[lang] = Catalog(lang, data)
    return out


def pick_lang(query: str | None, cookie: str | None) -> str:
    """``?lang=`` first, then the ``lang`` cookie, else Spanish."""
    for value in (query, cookie):
        if value in LANGS:
            return value
    return DEFAULT
