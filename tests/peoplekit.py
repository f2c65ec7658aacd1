"""Shared by the people tests: a demo-election app, accounts, synthetic acta photos."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from threading import Barrier
from typing import Any

from actas.adapters.elections import load_builtin
from actas.app.people import People, Role
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import ActasError
from actas.core.model import Election
from actas.dev import synth
from actas.dev.demo import demo_tables


@dataclass(frozen=True)
class Acta:
    table_id: str
    options: tuple[int, ...]
    null: int
    image: bytes


@cache
def election() -> Election:
    return load_builtin("demo")


@cache
def actas(n: int = 4) -> list[tuple[str, tuple[int, ...], int]]:
    e = election()
    tables, _ = demo_tables(e, 40, 7)
    out = []
    for t in tables[:n]:
        out.append((t.table_id, synth.split_votes(e, t.votes, t.seed), t.null))
    return out


@cache
def acta(i: int, with_qr: bool = True) -> Acta:
    table_id, options, null = actas()[i]
    image, _ = synth.render(
        election(), table_id, options, null, seed=100 + i, with_qr=with_qr, size=(600, 800)
    )
    return Acta(table_id, tuple(options), null, image)


def demo_service(home: Path, db_url: str = "") -> Service:
    """The demo election in a fresh store: SQLite in ``home`` unless ``db_url`` names one
    (the ``db_url`` fixture of tests/conftest.py gives SQLite and PostgreSQL in turn)."""
    env = {"ACTAS_DATABASE_URL": db_url} if db_url else {}
    return Service.init(Settings.from_env(env=env, home=home), "demo")


def account(svc: Service, name: str, role: Role) -> tuple[Any, str, str]:
    """An account, its password and an API token."""
    people = People(svc)
    acc, password = people.add(name, role, "correct horse " + name)
    return acc, password, people.new_api_token(acc, "test")


#: how many parallel requests the race tests fire
N = 50


def race(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` for i < n on n threads released together; (results, errors)."""
    gate = Barrier(n)

    def one(i: int) -> Any:
        gate.wait()
        try:
            return work(i)
        except ActasError as exc:
            return exc

    with ThreadPoolExecutor(n) as pool:
        out = list(pool.map(one, range(n)))
    return [o for o in out if not isinstance(o, BaseException)], [
        o for o in out if isinstance(o, BaseException)
    ]
