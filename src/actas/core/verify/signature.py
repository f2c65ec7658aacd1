"""Step 2: the verifier key (bundled, pinned or both) and the signed checkpoint. Pure."""

from __future__ import annotations

from actas.core.bundle import format as b
from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp
from actas.core.verify.run import Run

__all__ = ["key", "open_checkpoint"]


def key(run: Run, pinned_key: str | None) -> cp.Verifier | None:
    bundled: cp.Verifier | None = None
    data = run.files.get(b.VERIFIER_KEY)
    if data is not None:
        try:
            text = data.decode("ascii")
            if not text.endswith("\n") or "\n" in text[:-1] or "\r" in text:
                raise ProofError("the key must be one line ending in a newline")
            bundled = cp.Verifier.from_text(text[:-1])
        except (UnicodeDecodeError, ProofError) as exc:
            run.fail("key.invalid", b.VERIFIER_KEY, str(exc))
    if pinned_key is None:
        if bundled is not None:
            run.notes.append(
                "the checkpoint was checked with the bundle's own key; pin a key obtained "
                "independently (--key) to know whose log this is"
            )
        return bundled
    try:
        pinned = cp.Verifier.from_text(pinned_key.strip())
    except ProofError as exc:
        run.fail("key.invalid", "pinned key", str(exc))
        return None
    if bundled is not None and bundled.to_text() != pinned.to_text():
        run.fail(
            "key.mismatch",
            b.VERIFIER_KEY,
            f"expected the pinned key {pinned.to_text()}, found {bundled.to_text()}",
        )
    run.count("pinned_key")
    return pinned


def open_checkpoint(run: Run, verifier: cp.Verifier | None) -> cp.Checkpoint | None:
    note = run.files.get(b.CHECKPOINT)
    if note is None or verifier is None:
        return None
    try:
        opened = cp.open_checkpoint(note, verifier)
    except ProofError as exc:
        run.fail(
            "checkpoint.invalid",
            b.CHECKPOINT,
            f"does not open with the key of {verifier.name} (not signed by it, or not "
            f"a signed checkpoint): {exc}",
        )
        return None
    run.count("checkpoint_signature")
    return opened
