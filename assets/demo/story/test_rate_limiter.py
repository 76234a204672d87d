"""Tests for rate_limiter; each test name carries the id of the clause it checks."""

import unittest
from concurrent.futures import ThreadPoolExecutor

from rate_limiter import RateLimiter


class FakeClock:
    """A clock that only moves when told to, so no test ever sleeps."""

    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now


class RateLimiterTest(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock(1000.0)
        self.limiter = RateLimiter(limit=100, window_seconds=60, clock=self.clock)

    def use_up(self, user_id, count=100):
        for _ in range(count):
            self.assertEqual(self.limiter.allow(user_id), (True, 0))

    def test_r1_allows_up_to_limit(self):
        self.use_up("alice")

    def test_r1_over_limit_is_refused(self):
        self.use_up("alice")
        allowed, _ = self.limiter.allow("alice")
        self.assertFalse(allowed)

    def test_r1_refused_requests_are_not_counted(self):
        self.use_up("alice")
        for _ in range(50):
            self.assertFalse(self.limiter.allow("alice")[0])
        self.clock.now += 60
        self.use_up("alice")

    def test_r1_window_slides(self):
        self.use_up("alice", 50)
        self.clock.now += 30
        self.use_up("alice", 50)
        self.clock.now += 29.5
        self.assertEqual(self.limiter.allow("alice"), (False, 1))
        self.clock.now += 0.5  # the first 50 requests are now exactly 60 s old
        self.use_up("alice", 50)
        self.assertEqual(self.limiter.allow("alice"), (False, 30))

    def test_r2_retry_after_is_zero_when_allowed(self):
        allowed, retry_after = self.limiter.allow("alice")
        self.assertIs(allowed, True)
        self.assertEqual(retry_after, 0)
        self.assertIsInstance(retry_after, int)

    def test_r2_retry_after_counts_down(self):
        self.use_up("alice")
        self.assertEqual(self.limiter.allow("alice"), (False, 60))
        self.clock.now += 10.5
        self.assertEqual(self.limiter.allow("alice"), (False, 50))
        self.clock.now += 48.7
        allowed, retry_after = self.limiter.allow("alice")
        self.assertIs(allowed, False)
        self.assertEqual(retry_after, 1)
        self.assertIsInstance(retry_after, int)

    def test_r5_concurrent_requests_are_counted_exactly(self):
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: self.limiter.allow("alice"), range(1000)))
        self.assertEqual(sum(1 for allowed, _ in results if allowed), 100)
        self.assertEqual(results.count((True, 0)), 100)
        self.assertEqual(results.count((False, 60)), 900)

    def test_r5_concurrent_users_are_counted_separately(self):
        users = [f"user-{i % 4}" for i in range(1000)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(self.limiter.allow, users))
        for user in set(users):
            allowed = sum(1 for u, (ok, _) in zip(users, results) if u == user and ok)
            self.assertEqual(allowed, 100, user)

    def test_r6_empty_user_id_is_rejected(self):
        with self.assertRaises(ValueError):
            self.limiter.allow("")

    def test_r7_users_are_isolated(self):
        self.use_up("alice")
        self.assertFalse(self.limiter.allow("alice")[0])
        self.assertEqual(self.limiter.allow("bob"), (True, 0))
        self.use_up("bob", 99)
        self.assertFalse(self.limiter.allow("bob")[0])

    def test_r8_bad_settings_are_rejected(self):
        for limit, window_seconds in [(0, 60), (-1, 60), (100, 0), (100, -5)]:
            with self.subTest(limit=limit, window_seconds=window_seconds):
                with self.assertRaises(ValueError):
                    RateLimiter(limit=limit, window_seconds=window_seconds, clock=self.clock)


if __name__ == "__main__":
    unittest.main()
