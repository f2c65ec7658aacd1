"""Acta payload formats: the text a QR code on a tally sheet carries.

``parse(bytes) -> Payload`` and ``encode(Payload) -> bytes`` for each format;
the encoding is canonical (``encode(parse(b)) == b`` for every accepted ``b``),
so the bytes can be hashed. Anything that does not fit exactly is rejected with
a :class:`~actas.core.errors.PayloadError` whose message says why. Formats are
specified in ``docs/payload-formats.md``.

Venezuela 2024 (``ve-2024-qr``)::

    CCCCCCCCC.MM.T.SSSS!c1,c2,...,c38!N!X

centre code (9 digits), table (2 digits), two fields that are ``1`` and
``0001`` on every known acta, 38 vote counts in ballot-card order, null
votes, and a fourth counter (normally 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from actas.core.errors import PayloadError
from actas.core.model import TableId

__all__ = [
    "FORMATS",
    "Payload",
    "PayloadFormat",
    "VenezuelaQr",
    "get_format",
]


@dataclass(frozen=True, slots=True)
class Payload:
    """What a payload says: the table, the per-option counts and the extra counters."""

    table_id: TableId
    options: tuple[int, ...]
    null: int
    invalid: int
    acta_id: str = ""  # the full identifier printed in the payload, when it has one


class PayloadFormat:
    """Base of payload formats. Subclasses implement :meth:`parse` and :meth:`encode`."""

    name = ""
    description = ""

    def parse(self, data: bytes) -> Payload:  # pragma: no cover - interface
        raise NotImplementedError

    def encode(self, payload: Payload) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


def _count(text: str, what: str, max_count: int) -> int:
    if not text:
        raise PayloadError(f"{what} is empty")
    if text[0] in "+-":
        raise PayloadError(f"{what} has a sign: {text!r}")
    if not text.isdigit():
        raise PayloadError(f"{what} is not a number: {text!r}")
    if len(text) > 1 and text[0] == "0":
        raise PayloadError(f"{what} has leading zeros: {text!r}")
    if len(text) > len(str(max_count)):
        raise PayloadError(f"{what} is absurdly large: {text[:12]!r}")
    value = int(text)
    if value > max_count:
        raise PayloadError(f"{what} is absurdly large: {value} > {max_count}")
    return value


def _fixed_digits(text: str, width: int, what: str) -> str:
    if len(text) != width or not text.isdigit():
        raise PayloadError(f"{what} must be exactly {width} digits, got {text[:20]!r}")
    return text


@dataclass(frozen=True)
class VenezuelaQr(PayloadFormat):
    """The CNE acta QR payload of the 28 July 2024 presidential election."""

    n_options: int = 38
    max_count: int = 9999  # a mesa has at most a few hundred electors

    name = "ve-2024-qr"
    description = "CCCCCCCCC.MM.T.SSSS!c1,...,c38!N!X (Venezuela CNE 2024 acta QR)"

    def parse(self, data: bytes) -> Payload:
        if not isinstance(data, bytes | bytearray):
            raise PayloadError("payload must be bytes")
        if len(data) > 1024:
            raise PayloadError(f"payload is {len(data)} bytes; a valid one is under 300")
        try:
            text = bytes(data).decode("ascii")
        except UnicodeDecodeError as exc:
            raise PayloadError(f"payload has a non-ASCII byte at position {exc.start}") from None
        if not text:
            raise PayloadError("payload is empty")
        if text != text.strip() or any(not c.isprintable() for c in text):
            raise PayloadError("payload has whitespace or control characters (trailing bytes?)")
        sections = text.split("!")
        if len(sections) != 4:
            raise PayloadError(f"expected 4 '!'-separated sections, found {len(sections)}")
        head, counts_text, null_text, invalid_text = sections
        ids = head.split(".")
        if len(ids) != 4:
            raise PayloadError(f"acta id {head[:40]!r} must have 4 '.'-separated fields")
        centre = _fixed_digits(ids[0], 9, "centre code")
        table = _fixed_digits(ids[1], 2, "table number")
        _fixed_digits(ids[2], 1, "third id field")
        _fixed_digits(ids[3], 4, "fourth id field")
        if table == "00":
            raise PayloadError("table number 00 does not exist")
        fields = counts_text.split(",")
        if len(fields) != self.n_options:
            raise PayloadError(f"expected {self.n_options} vote counts, found {len(fields)}")
        options = tuple(
            _count(f, f"vote count {i + 1}", self.max_count) for i, f in enumerate(fields)
        )
        null = _count(null_text, "null votes", self.max_count)
        invalid = _count(invalid_text, "fourth counter", self.max_count)
        return Payload(
            table_id=TableId(f"{centre}.{table}"),
            options=options,
            null=null,
            invalid=invalid,
            acta_id=head,
        )

    def encode(self, payload: Payload) -> bytes:
        centre, sep, table = payload.table_id.partition(".")
        if not sep or len(centre) != 9 or len(table) != 2:
            raise PayloadError(f"table id {payload.table_id!r} is not CCCCCCCCC.MM")
        if len(payload.options) != self.n_options:
            raise PayloadError(f"expected {self.n_options} vote counts")
        head = payload.acta_id or f"{centre}.{table}.1.0001"
        for v in (*payload.options, payload.null, payload.invalid):
            if not 0 <= v <= self.max_count:
                raise PayloadError(f"count {v} out of range 0..{self.max_count}")
        body = ",".join(str(v) for v in payload.options)
        out = f"{head}!{body}!{payload.null}!{payload.invalid}".encode("ascii")
        back = self.parse(out)
        if (back.table_id, back.options, back.null, back.invalid) != (
            payload.table_id,
            payload.options,
            payload.null,
            payload.invalid,
        ):
            raise PayloadError(f"acta id {head!r} does not match the table id")
        return out


FORMATS: dict[str, type[VenezuelaQr]] = {VenezuelaQr.name: VenezuelaQr}


def get_format(name: str, n_options: int) -> PayloadFormat:
    """The payload format called ``name`` for an election with ``n_options`` ballot options."""
    try:
        cls = FORMATS[name]
    except KeyError:
        raise PayloadError(f"unknown payload format {name!r}") from None
    return cls(n_options=n_options)
