"""Times for people: the log's ISO timestamps (UTC, microseconds) shown in the
election's time zone, to the minute, in the page's language.

``2024-07-29T05:00:00.000000Z`` on a Venezuelan page reads ``29 jul 2024, 01:00``
with the zone named beside it (``hora de Caracas``, from the catalog's
``time.zone``). The page keeps the exact value in ``<time datetime=…>`` and
``static/time.js`` adds "hace 3 min" next to it where scripts run, so the cached
and the static pages stay right as time passes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actas.core.model import Election
from actas.web.i18n import Catalog

__all__ = ["COUNTRY_ZONES", "Clock", "election_zone"]

# The zone of a country whose elections run on one clock (a definition may name its own).
COUNTRY_ZONES = {"VE": "America/Caracas", "RU": "Europe/Moscow"}


def election_zone(election: Election) -> ZoneInfo:
    for name in (election.timezone, COUNTRY_ZONES.get(election.country, "")):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def parse(text: str) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset; naive = UTC), None if it is not one."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Clock:
    """Formats timestamps for one election in one language."""

    def __init__(self, zone: ZoneInfo, catalog: Catalog) -> None:
        self.zone = zone
        self.t = catalog
        self.months = catalog("time.months").split(",")

    def human(self, text: str | None) -> str:
        """``29 jul 2024, 01:00`` (Spanish) or ``29 Jul 2024, 01:00`` in the election's zone;
        the text unchanged when it is not a timestamp."""
        value = parse(text or "")
        if value is None:
            return text or "—"
        local = value.astimezone(self.zone)
        return self.t(
            "time.format",
            day=local.day,
            month=self.months[local.month - 1],
            year=local.year,
            time=f"{local.hour:02d}:{local.minute:02d}",
        )

    def zone_label(self) -> str:
        key = self.zone.key
        return self.t("time.zone", zone=key.rsplit("/", 1)[-1].replace("_", " "))

    def iso(self, text: str | None) -> str:
        """The exact instant for ``<time datetime>``, to the second, in UTC."""
        value = parse(text or "")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""
