"""The names of the job queue's tasks and queues, shared by the queue and its readers.

:mod:`actas.app.photos.queue` defines the tasks (and needs procrastinate);
:mod:`actas.app.photos.uploads` reads the jobs of :data:`DECODE` to say whether an
upload's decoding failed, and imports without the ``postgres`` extra. Both take the
names from here, so neither imports the other to learn them.
"""

from __future__ import annotations

__all__ = ["CHECKPOINT", "DECODE", "PHOTOS", "PRUNE", "RETALLY", "RETRY_STALLED", "SIGNER"]

PHOTOS = "photos"  # the queue of decoding, retallies and upkeep
SIGNER = "signer"  # the queue only the signer host works on
DECODE = "actas.decode_photo"
RETALLY = "actas.retally"
CHECKPOINT = "actas.publish_checkpoint"
RETRY_STALLED = "actas.retry_stalled_jobs"
PRUNE = "actas.prune_jobs"
