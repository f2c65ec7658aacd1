"""The public portal and JSON API (app layer). Nothing imports ``web`` but the CLI."""

from __future__ import annotations

from actas.web.app import create_app

__all__ = ["create_app"]
