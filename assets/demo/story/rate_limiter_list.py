"""A per-user sliding-window rate limiter (stdlib only)."""

import math
import threading
import time


class RateLimiter:
    """Allow at most `limit` requests per user in any `window_seconds` seconds.

    `clock` returns the current time in seconds and never goes backwards; inject a
    fake one in tests so they never sleep.
    """

    def __init__(self, limit=100, window_seconds=60, clock=time.monotonic):
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit!r}")
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds!r}")
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._requests = {}  # user id -> allowed request times, oldest first
        self._lock = threading.Lock()

    def allow(self, user_id: str) -> tuple[bool, int]:
        """Record a request from `user_id` if allowed.

        Returns (allowed, retry_after_seconds); retry_after_seconds is 0 when allowed,
        else the whole seconds (rounded up) until the oldest request leaves the window.
        """
        if not user_id:
            raise ValueError("user_id must not be empty")
        with self._lock:
            now = self._clock()
            times = self._requests.setdefault(user_id, [])
            while times and now - times[0] >= self._window:
                times.pop(0)
            if len(times) < self._limit:
                times.append(now)
                return True, 0
            retry_after = math.ceil(times[0] + self._window - now)
            return False, max(retry_after, 1)
