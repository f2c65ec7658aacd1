"""Step 9: photos are content-addressed and belong to leaves. Pure."""

from __future__ import annotations

import hashlib
import re

from actas.core.bundle import format as b
from actas.core.verify import replay
from actas.core.verify.run import Run

__all__ = ["photos"]

_PHOTO = re.compile(r"photos/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,8})")


def photos(run: Run, leaves: list[replay.LeafInfo | None]) -> None:
    """Step 9: photos are content-addressed and belong to leaves."""
    referenced = {leaf.blob for leaf in leaves if leaf is not None and leaf.blob}
    present = 0
    for path in sorted(p for p in run.files if p.startswith(b.PHOTOS_DIR + "/")):
        m = _PHOTO.fullmatch(path)
        if m is None or m.group(1) != m.group(2)[:2]:
            run.fail("photo.bad_path", path, "not photos/<aa>/<sha256>.<ext>")
            continue
        actual = hashlib.sha256(run.files[path]).hexdigest()
        if actual != m.group(2):
            run.fail("photo.hash_mismatch", path, f"the photo's SHA-256 is {actual}")
        elif actual not in referenced:
            run.fail("photo.unreferenced", path, "no leaf names this photo")
        else:
            present += 1
    run.count("photos", present)
    if len(referenced) > present:
        run.notes.append(f"{len(referenced) - present} photos named by leaves are not included")
