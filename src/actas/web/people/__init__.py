"""The people's routes: sign-in, invitations, witness uploads, transcription, review.

Pages under ``/people/…`` (mobile-first HTML, templates ``people_*.html``) and their
API twins under ``/api/v1/…``. Every route declares its roles (``access.roles``);
the guard installed here authenticates (session cookie or ``Authorization:
Bearer`` API token), checks the role, the CSRF token of cookie-authenticated
writes (per-session, constant-time compare) and the rate limits (in-process
token buckets: see :mod:`actas.app.people.limits` for multi-process deployments).

One module per group of routes, each with its ``add_…_routes(app, web)``:
``sessions`` (sign-in, tokens, invitations), ``uploads`` (a witness's photos and
receipts), ``transcription`` (a volunteer's double entry), ``review`` (a
reviewer's decisions) and ``accounts`` (a coordinator's account pages); what they
share — ``PeopleWeb``, the guard, the request helpers — is in ``context``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from actas.app.people.accounts import People
from actas.app.people.review import Review
from actas.app.people.transcription import Transcription
from actas.app.service import Service
from actas.web.i18n import load_catalogs
from actas.web.people.accounts import add_account_routes
from actas.web.people.context import Limits, PeopleWeb, TooLarge
from actas.web.people.review import add_review_routes
from actas.web.people.sessions import add_session_routes
from actas.web.people.transcription import add_transcription_routes
from actas.web.people.uploads import add_witness_routes

__all__ = ["Limits", "PeopleWeb", "TooLarge", "add_people"]

TEMPLATES = Path(__file__).parent.parent / "templates"


def add_people(app: FastAPI, svc: Service, limits: Limits | None = None) -> PeopleWeb:
    """Register the people's routes and the guard on ``app``."""
    people = People(svc)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    web = PeopleWeb(
        svc, people, Transcription(people), Review(people), limits or Limits(), env, load_catalogs()
    )
    app.state.guard = web.guard
    app.state.people = web
    add_session_routes(app, web)
    add_witness_routes(app, web)
    add_transcription_routes(app, web)
    add_review_routes(app, web)
    add_account_routes(app, web)
    return web
