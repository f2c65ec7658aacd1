"""The bundle's file names, and where a photo goes (named by its SHA-256). Pure."""

from __future__ import annotations

__all__ = [
    "AUDITS_JSON",
    "CHECKPOINT",
    "ELECTION",
    "LEAVES",
    "MANIFEST",
    "MAPPINGS_DIR",
    "PHOTOS_DIR",
    "README",
    "RESULTS_CSV",
    "RESULTS_JSON",
    "RESULTS_PARQUET",
    "SUBMISSIONS",
    "TABLES_CSV",
    "TABLES_JSON",
    "TABLES_PARQUET",
    "VERIFIER_KEY",
    "photo_extension",
    "photo_path",
]

ELECTION = "election.toml"
MAPPINGS_DIR = "mappings"
LEAVES = "leaves.txt"
SUBMISSIONS = "submissions.jsonl"
TABLES_CSV = "tables.csv"
TABLES_JSON = "tables.json"
TABLES_PARQUET = "tables.parquet"
RESULTS_CSV = "results.csv"
RESULTS_JSON = "results.json"
RESULTS_PARQUET = "results.parquet"
CHECKPOINT = "checkpoint.txt"
VERIFIER_KEY = "verifier.pub"
PHOTOS_DIR = "photos"
README = "README.md"
MANIFEST = "MANIFEST"
AUDITS_JSON = "audits.json"  # optional: every audit's sample and decision (actas.core.audit.trail)


def photo_extension(data: bytes) -> str:
    """A file extension from the image's magic bytes (``bin`` when unknown)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypheif"):
        return "heic"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tif"
    if data.startswith(b"%PDF"):
        return "pdf"
    return "bin"


def photo_path(sha256_hex: str, data: bytes) -> str:
    return f"{PHOTOS_DIR}/{sha256_hex[:2]}/{sha256_hex}.{photo_extension(data)}"
