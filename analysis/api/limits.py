"""Per-token rate limit: a token bucket per token name, in the memory of the one process that serves.

`limit` requests per minute, with bursts up to `limit`; an empty bucket answers how many seconds until the
next request may pass (the `Retry-After` of a 429). `SABOR_API_RATE_LIMIT` sets it (0 turns it off).
"""
from __future__ import annotations

import math
import os
import threading
import time


def limit_from_env() -> int:
    try:
        return max(0, int(os.environ.get("SABOR_API_RATE_LIMIT", "120")))
    except ValueError:
        return 120


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = int(per_minute)
        self._rate = self.per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}   # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Take one request from `key`'s bucket: 0 when it may pass, else the seconds to wait (≥ 1)."""
        if self.per_minute <= 0:
            return 0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self._rate))
