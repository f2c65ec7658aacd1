"""One exception tree for Actas.

Findings about data (a bad count, a conflict, an unreadable photo) are *values*
(:class:`actas.core.model.Finding`), never exceptions. Exceptions are for bugs, I/O
and requests that cannot be carried out. They are translated only at the edges:
one JSON error envelope in the API, one clear message and exit code in the CLI.

    ActasError
    ├── DefinitionError      an election definition or mapping file is invalid
    ├── PayloadError         bytes that do not parse under a payload format
    ├── InputError           an input file cannot be read at all (empty, not CSV, ...)
    ├── NotFound             a table, region, leaf or file that does not exist
    ├── StoreError           the database or blob store failed or is not initialised
    ├── ProofError           a Merkle proof or checkpoint is malformed or does not verify
    ├── VerificationError    an exported bundle fails verification
    ├── ImageError           a photo cannot be opened safely
    ├── AccessDenied         the caller is not allowed to do this
    └── MissingExtra         an optional part is used without its extra installed
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "ActasError",
    "DefinitionError",
    "ImageError",
    "InputError",
    "MissingExtra",
    "NotFound",
    "PayloadError",
    "ProofError",
    "StoreError",
    "VerificationError",
]


class ActasError(Exception):
    """Base of every error Actas raises on purpose."""

    #: stable machine-readable code used in the API envelope and CLI
    code = "actas_error"
    #: HTTP status the API uses for this error
    http_status = 500
    #: process exit code the CLI uses for this error
    exit_code = 1


class DefinitionError(ActasError):
    """An election definition, claims file or column mapping is invalid.

    The message names the file, the key and the reason.
    """

    code = "invalid_definition"
    http_status = 422
    exit_code = 2


class PayloadError(ActasError):
    """Bytes that do not parse under a payload format; the message says exactly why."""

    code = "invalid_payload"
    http_status = 422
    exit_code = 2


class InputError(ActasError):
    """An input file or request that cannot be read at all."""

    code = "invalid_input"
    http_status = 400
    exit_code = 2


class NotFound(ActasError):
    code = "not_found"
    http_status = 404
    exit_code = 3


class StoreError(ActasError):
    code = "store_error"
    http_status = 503
    exit_code = 4


class ProofError(ActasError):
    code = "invalid_proof"
    http_status = 422
    exit_code = 5


class VerificationError(ActasError):
    code = "verification_failed"
    http_status = 422
    exit_code = 6


class ImageError(ActasError):
    code = "invalid_image"
    http_status = 422
    exit_code = 2


class AccessDenied(ActasError):
    code = "forbidden"
    http_status = 403
    exit_code = 7


class MissingExtra(ActasError):
    """An optional part of Actas (the job queue, S3 storage) is used without the extra
    that provides it; the message says what to install."""

    code = "missing_extra"
    http_status = 501
    exit_code = 8
