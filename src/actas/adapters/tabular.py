"""Reading tabular files (CSV, optionally zipped): encoding detection, rows with their raw bytes.

An adapter: bytes in, rows out. It never judges the data (see ``records``);
it only refuses files that are not tables at all (empty, binary, no header).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from actas.core.errors import InputError
from actas.core.results.rows import split_rows

__all__ = ["Row", "TableFile", "open_table_file"]

MAX_FIELD = 100_000


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based data row number (the header is row 0)
    raw: bytes  # the row's exact bytes in the file, without the line ending
    fields: list[str]


@dataclass(frozen=True)
class TableFile:
    name: str
    encoding: str
    header: list[str]
    header_raw: bytes
    delimiter: str
    _lines: list[str]
    _codec: str

    @property
    def codec(self) -> str:
        """The codec that turns text back into the file's exact bytes."""
        return self._codec

    def rows(self) -> Iterator[Row]:
        """Every data row; a row whose quoting spans lines keeps all its lines' bytes."""
        lines = self._lines[1:]  # after the header
        for number, (start, used, fields) in enumerate(split_rows(lines, self.delimiter, len(self.header)), 1):
            raw = "".join(lines[start : start + used])
            yield Row(number, _strip_eol(raw).encode(self._codec, "replace"), fields)


def _strip_eol(s: str) -> str:
    return s.rstrip("\r\n")


def _decode(data: bytes) -> tuple[str, str, str]:
    """Return (text, encoding label, codec that re-encodes rows to their original bytes)."""
    if data.startswith(codecs.BOM_UTF8):
        return _declared(data, 3, "utf-8"), "utf-8-sig", "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16-le" if data[:2] == codecs.BOM_UTF16_LE else "utf-16-be"
        return _declared(data, 2, codec), "utf-16", codec
    if b"\0" in data[:65536]:
        raise InputError("the file is binary, not a CSV text file")
    try:
        return data.decode("utf-8", "strict"), "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252", "strict"), "cp1252", "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", "latin-1"


def _declared(data: bytes, skip: int, codec: str) -> str:
    """The text after a byte order mark, in the encoding the mark declares.

    A byte that is not valid in that encoding (one Latin-1 byte in a UTF-8 file with
    a BOM) is an ``InputError`` naming its line and byte, before any row is read:
    guessing another encoding would silently garble every other accented name.
    """
    try:
        return data[skip:].decode(codec, "strict")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        prefix = data[skip:at].decode(codec, "replace")
        line = prefix.count("\n") + 1  # 1-based, the header is line 1
        bad = data[at : min(at + 4, skip + exc.end)].hex(" ")
        raise InputError(
            f"the file starts with a {codec.upper()} byte order mark, but line {line}"
            f" has bytes that are not {codec.upper()} ({bad} at byte {at});"
            f" nothing was imported: save the file again as {codec.upper()}"
        ) from None


def unzip_single(data: bytes, name: str) -> tuple[bytes, str]:
    """The one CSV member of a zip archive (as Russia's 2012.csv.zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            csvs = [m for m in members if m.filename.lower().endswith((".csv", ".txt", ".tsv"))]
            if len(csvs) != 1:
                raise InputError(
                    f"{name}: a zip must hold exactly one CSV file, it holds {len(csvs)}"
                )
            if csvs[0].file_size > 2_000_000_000:
                raise InputError(f"{name}: the CSV inside the zip is too large")
            return zf.read(csvs[0]), f"{name}:{csvs[0].filename}"
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name}: damaged zip file: {exc}") from None


def open_table_file(data: bytes, name: str, delimiter: str | None = None) -> TableFile:
    """Decode and split a CSV file; raises InputError when it is not a table at all."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    if data.startswith(b"PK\x03\x04"):
        data, name = unzip_single(data, name)
    try:
        text, encoding, codec = _decode(data)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None
    lines = text.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise InputError(f"{name}: the file is empty")
    first = lines[0]
    if delimiter is None:
        counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] == 0:
            raise InputError(f"{name}: no header row with separated columns; is it a CSV file?")
    csv.field_size_limit(MAX_FIELD)
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{name}: unreadable header: {exc}") from None
    header = [h.strip() for h in header]
    if len(header) < 2 or any(not h for h in header):
        raise InputError(f"{name}: the header row has empty or too few column names")
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"{name}: duplicate column names in the header: {', '.join(dup)}")
    return TableFile(
        name=name,
        encoding=encoding,
        header=header,
        header_raw=_strip_eol(first).encode(codec, "replace"),
        delimiter=delimiter,
        _lines=lines,
        _codec=codec,
    )
