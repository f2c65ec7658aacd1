"""In-process token buckets: per account and per address.

One process only: with several server processes (uvicorn --workers, several
hosts) each has its own buckets, so the effective limit multiplies; such a
deployment needs a shared limiter (e.g. a PostgreSQL or Redis counter) instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from actas.core.errors import ActasError

__all__ = ["Buckets", "RateLimited"]


class RateLimited(ActasError):
    code = "rate_limited"
    http_status = 429
    exit_code = 8


class Buckets:
    """``rate`` tokens per second up to ``burst``; ``take(key)`` is False when empty."""

    def __init__(
        self, rate: float, burst: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.now = now
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, cost: float = 1.0) -> bool:
        with self._lock:
            t = self.now()
            tokens, last = self._state.get(key, (self.burst, t))
            tokens = min(self.burst, tokens + (t - last) * self.rate)
            ok = tokens >= cost
            self._state[key] = (tokens - cost if ok else tokens, t)
            if len(self._state) > 100_000:  # forget idle keys
                self._state = {k: v for k, v in self._state.items() if t - v[1] < 3600}
            return ok
