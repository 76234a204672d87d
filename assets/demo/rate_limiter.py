"""A per-user sliding-window rate limiter (stdlib only). See SPEC.md.

A stub with the spec's signature: the Implement step asks the model for the real thing.
"""

import time
from collections import deque


class RateLimiter:
    """Allow at most `limit` requests per user in any `window_seconds` seconds."""

    def __init__(self, limit=100, window_seconds=60, clock=time.monotonic):
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._windows = {}

    def _window_of(self, user_id):
        """The times of `user_id`'s allowed requests still in the window, oldest first."""
        return self._windows.setdefault(user_id, deque())

    def allow(self, user_id: str) -> tuple[bool, int]:
        """Return (allowed, retry_after_seconds) for a request from `user_id` now."""
        raise NotImplementedError("allow() is written in the Implement step")
