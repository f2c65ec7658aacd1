"""Published files against re-derived values, difference by difference. Pure.

The verifier re-derives what a bundle's ``tables.*`` and ``results.*`` files
should hold and hands the expected values here. When the published bytes are
exactly the canonical rendering (:mod:`actas.core.bundle.format`) the check is one byte
comparison; otherwise each file is parsed and every missing, extra or different
element is reported with its line and key, and what was expected and found.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from actas.core.bundle import format as b

__all__ = ["Compare", "differences"]

_MAX_DIFFS = 6  # differences named in one failure message


class Compare:
    """Collects failures, keeping the first ``limit`` and counting them all."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self.total = 0
        self.failures: list[tuple[str, str, str]] = []

    def fail(self, code: str, where: str, message: str) -> None:
        self.total += 1
        if len(self.failures) < self.limit:
            self.failures.append((code, where, message))

    # ----------------------------------------------------------------- JSON

    def json_array(
        self,
        data: bytes | None,
        path: str,
        expected: Sequence[Mapping[str, Any]] | Callable[[], Sequence[Mapping[str, Any]]],
        key: tuple[str, ...],
        what: str,
        lines: Sequence[str] | None = None,
    ) -> None:
        """``data`` must be ``bundle.json_lines(expected)``; say how it is not.

        ``lines``, when given, are the expected elements already rendered
        (``bundle.dumps`` of each); ``expected`` may then be a function that
        builds the objects, called only when the bytes differ.
        """
        if data is None:
            return
        if lines is not None:
            canonical = ("[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n").encode()
        else:
            expected = expected() if callable(expected) else expected
            canonical = b.json_lines(expected)
        if data == canonical:
            return
        expected = expected() if callable(expected) else expected
        before = self.total
        try:
            text = data.decode("utf-8")
            found = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.fail("file.unreadable", path, f"not a JSON array: {exc}")
            return
        if not isinstance(found, list):
            self.fail("file.unreadable", path, "not a JSON array")
            return
        one_per_line = text.count("\n") == len(found) + 2

        def where(i: int, k: tuple[Any, ...]) -> str:
            at = f"line {i + 2}" if one_per_line else f"element {i}"
            return f"{path} {at} ({_label(what, k)})"

        self._keyed(
            [(i, obj) for i, obj in enumerate(found)],
            [(tuple(e[f] for f in key), e) for e in expected],
            key,
            what,
            where,
            path,
        )
        if self.total == before:
            self.fail("file.not_canonical", path, _not_canonical(data, canonical))

    # ----------------------------------------------------------------- CSV

    def csv(
        self,
        data: bytes | None,
        path: str,
        columns: Sequence[str],
        expected: Sequence[b.Row] | Callable[[], Sequence[b.Row]],
        key: tuple[str, ...],
        what: str,
        canonical: bytes | None = None,
    ) -> None:
        """``data`` must be ``bundle.render_csv(columns, expected)``; say how it is not.

        ``canonical``, when given, is that rendering already made; ``expected``
        may then be a function that builds the rows, called only when the bytes differ.
        """
        if data is None:
            return
        if canonical is None:
            expected = expected() if callable(expected) else expected
            canonical = b.render_csv(columns, expected)
        if data == canonical:
            return
        expected = expected() if callable(expected) else expected
        before = self.total
        try:
            reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
            header = next(reader, [])
            rows: list[tuple[int, dict[str, str]]] = []
            for fields in reader:
                if len(fields) != len(header):
                    self.fail(
                        f"{what}.malformed",
                        f"{path} line {reader.line_num}",
                        f"{len(fields)} fields, the header has {len(header)}",
                    )
                    continue
                rows.append((reader.line_num, dict(zip(header, fields, strict=True))))
        except (UnicodeDecodeError, csv.Error) as exc:
            self.fail("file.unreadable", path, f"not a CSV file: {exc}")
            return
        if header != list(columns):
            self.fail(
                "file.columns",
                f"{path} line 1",
                f"columns expected {list(columns)}, found {header}",
            )
            return
        texts = [
            (tuple(b.cell(r[f]) for f in key), {c: b.cell(r[c]) for c in columns}) for r in expected
        ]
        self._keyed(
            [(line, row) for line, row in rows],
            texts,
            key,
            what,
            lambda line, k: f"{path} line {line} ({_label(what, k)})",
            path,
            quote=False,
        )
        if self.total == before:
            self.fail("file.not_canonical", path, _not_canonical(data, canonical))

    # ----------------------------------------------------------------- rows

    def columns(
        self,
        path: str,
        found: Mapping[str, Sequence[Any]],
        expected: Sequence[b.Row] | Callable[[], Sequence[b.Row]],
        key: tuple[str, ...],
        what: str,
        by_column: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        """Typed columns (a Parquet copy) against the expected rows, in the same order.

        ``by_column``, when given, holds the expected values by column (all of
        them, in order); ``expected`` may then be a function that builds the rows,
        called only when something differs.
        """
        if by_column is not None:
            names = list(by_column) if len(next(iter(by_column.values()), ())) else list(found)
            if list(found) == names and all(list(found[c]) == list(by_column[c]) for c in names):
                self._types(path, found, by_column)
                return
        expected = expected() if callable(expected) else expected
        names = list(expected[0]) if expected else list(found)
        if list(found) == names and all(list(found[c]) == [r[c] for r in expected] for c in names):
            self._types(path, found, {c: [r[c] for r in expected] for c in names})
            return
        before = self.total
        if list(found) != names:
            self.fail("file.columns", path, f"columns expected {names}, found {list(found)}")
            return
        n = len(next(iter(found.values()), ()))
        rows = [(i, {c: found[c][i] for c in names}) for i in range(n)]
        self._keyed(
            rows,
            [(tuple(e[f] for f in key), dict(e)) for e in expected],
            key,
            what,
            lambda i, k: f"{path} row {i} ({_label(what, k)})",
            path,
        )
        if self.total == before:
            self.fail("file.not_canonical", path, "the rows are not in the expected order")

    def _types(
        self, path: str, found: Mapping[str, Sequence[Any]], expected: Mapping[str, Sequence[Any]]
    ) -> None:
        """Columns whose values agree (``==``) must also hold them as the same type.

        ``137.0 == 137``: a count column written as float64 instead of int64 would
        otherwise pass. A Parquet column has one type, so its first non-null value
        tells it.
        """
        for name, values in expected.items():
            want, got = _kind(values), _kind(found[name])
            if want is not None and got is not None and want is not got:
                self.fail(
                    "file.columns",
                    path,
                    f"column {name}: expected {want.__name__} values, found {got.__name__}",
                )

    # ----------------------------------------------------------------- shared

    def _keyed(
        self,
        found: Sequence[tuple[int, Any]],
        expected: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]],
        key: tuple[str, ...],
        what: str,
        where: Any,
        path: str,
        quote: bool = True,
    ) -> None:
        by_key: dict[tuple[Any, ...], tuple[int, Any]] = {}
        for pos, obj in found:
            if not isinstance(obj, dict) or any(f not in obj for f in key):
                self.fail(f"{what}.malformed", where(pos, ("?",)), f"not a {what} object")
                continue
            k = tuple(_hashable(obj[f]) for f in key)
            if k in by_key:
                self.fail(f"{what}.duplicate", where(pos, k), f"{_label(what, k)} appears twice")
                continue
            by_key[k] = (pos, obj)
        for k, obj in expected:
            hit = by_key.pop(k, None)
            if hit is None:
                self.fail(f"{what}.missing", f"{path} ({_label(what, k)})", "expected, not found")
                continue
            diffs = list(differences(obj, hit[1], quote=quote))
            if diffs:
                more = f" (and {len(diffs) - _MAX_DIFFS} more)" if len(diffs) > _MAX_DIFFS else ""
                self.fail(
                    f"{what}.mismatch", where(hit[0], k), "; ".join(diffs[:_MAX_DIFFS]) + more
                )
        for k, (pos, _) in by_key.items():
            self.fail(f"{what}.extra", where(pos, k), "published, but the log gives no such entry")


def differences(expected: Any, found: Any, path: str = "", quote: bool = True) -> Iterator[str]:
    """``path: expected X, found Y`` for every leaf value that differs.

    Values are shown as JSON, or (``quote=False``, for CSV cells) as plain text.
    """
    if isinstance(expected, Mapping) and isinstance(found, Mapping):
        for key in sorted(set(expected) | set(found), key=str):
            p = f"{path}.{key}" if path else str(key)
            if key not in found:
                yield f"{p}: missing (expected {_short(expected[key], quote)})"
            elif key not in expected:
                yield f"{p}: unexpected (found {_short(found[key], quote)})"
            else:
                yield from differences(expected[key], found[key], p, quote)
    elif (
        isinstance(expected, list)
        and isinstance(found, list)
        and len(expected) == len(found)
        and all(isinstance(e, Mapping) and "id" in e for e in expected)
    ):
        for e, f in zip(expected, found, strict=True):
            yield from differences(e, f, f"{path}[{e['id']}]", quote)
    elif not _same(expected, found):
        yield f"{path}: expected {_short(expected, quote)}, found {_short(found, quote)}"


def _same(a: Any, b_: Any) -> bool:
    return type(a) is type(b_) and bool(a == b_)


def _kind(values: Sequence[Any]) -> type | None:
    return next((type(v) for v in values if v is not None), None)


def _hashable(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v


def _short(v: Any, quote: bool = True) -> str:
    if not quote and isinstance(v, str):
        text = repr(v) if v == "" or v != v.strip() else v
    else:
        text = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _label(what: str, k: tuple[Any, ...]) -> str:
    parts = [str(x) for x in k if x != ""]
    return f"{what} {' '.join(parts)}" if parts else what


def _not_canonical(data: bytes, canonical: bytes) -> str:
    at = next(
        (i for i, (x, y) in enumerate(zip(data, canonical, strict=False)) if x != y),
        min(len(data), len(canonical)),
    )
    line = data.count(b"\n", 0, at) + 1
    return (
        "the values agree but the bytes are not the canonical rendering"
        f" (first difference at byte {at}, line {line})"
    )
