"""Child processes that end with their parent: no orphaned workers after a SIGKILL.

A process pool's workers wait on a pipe whose other end they also hold, so when
the parent is killed outright (SIGKILL, the OOM killer) nothing tells them and
they live on, orphaned. :func:`die_with_parent`, called first thing in a worker,
ties its life to the parent's: on Linux with ``prctl(PR_SET_PDEATHSIG)`` (the
kernel sends the signal as soon as the parent goes), elsewhere, or when
``prctl`` is refused, with a daemon thread that polls ``getppid()`` and ends the
process once it has been re-parented.

``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends; the
pools that call this are created and fed by one thread for their whole life
(``ingest_paths``, the worker supervisor), so that thread outlives its workers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent"]

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.25


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> None:
    """End this process (with ``sig``) when the process ``parent_pid`` ends.

    ``parent_pid`` is the parent's pid as the parent saw it when it started the
    child: if the parent is already gone by the time this runs, the process ends
    at once.
    """
    if os.getppid() != parent_pid:
        os._exit(1)
    if not _pdeathsig(sig):
        threading.Thread(
            target=_watch, args=(parent_pid, sig), name="actas-lifeline", daemon=True
        ).start()
    if os.getppid() != parent_pid:  # the parent went between the check and prctl
        os._exit(1)


def _pdeathsig(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, sig: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_SECONDS)
    try:
        os.kill(os.getpid(), sig)
    finally:
        os._exit(1)
