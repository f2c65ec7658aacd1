"""Optional parts of Actas and the extras that install them (``pip install 'actas[…]'``).

``require("postgres", "the job queue")`` imports the extra's modules and, when one is
missing, raises :class:`actas.core.errors.MissingExtra` saying what to install — so the
CLI prints one clear line and the API one error envelope instead of an ImportError.
"""

from __future__ import annotations

import importlib

from actas.core.errors import MissingExtra

__all__ = ["EXTRAS", "require"]

#: extra name -> the modules it provides (as in pyproject's optional-dependencies)
EXTRAS: dict[str, tuple[str, ...]] = {
    "postgres": ("psycopg", "procrastinate"),
    "s3": ("boto3",),
}


def require(extra: str, feature: str) -> None:
    """Raise MissingExtra unless every module of ``extra`` imports."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MissingExtra(
                f"{feature} needs the '{extra}' extra ({module} cannot be imported: {exc}); "
                f"install it with: pip install 'actas[{extra}]'"
            ) from None
