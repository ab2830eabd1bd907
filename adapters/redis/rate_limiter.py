"""RedisRateLimiter: fixed-window counters (INCRBY + EXPIRE in one transaction) shared by every replica."""

from __future__ import annotations

import math

import redis

from application.ports.clock import Clock
from application.ports.rate_limiter import RateDecision, RateLimiter
from domain.errors import ServiceUnavailable


class RedisRateLimiter(RateLimiter):
    def __init__(self, client: redis.Redis, clock: Clock, *, prefix: str = "mailagent:rl:") -> None:
        self._r = client
        self._clock = clock
        self._prefix = prefix

    def _key(self, key: str, window_seconds: int) -> tuple[str, int]:
        now = self._clock.now().timestamp()
        start = int(now // window_seconds) * window_seconds
        retry = max(1, math.ceil(start + window_seconds - now))
        return f"{self._prefix}{window_seconds}:{start}:{key}", retry

    def hit(self, key: str, *, limit: int, window_seconds: int, cost: int = 1) -> RateDecision:
        redis_key, retry = self._key(key, window_seconds)
        try:
            pipe = self._r.pipeline(transaction=True)
            pipe.incrby(redis_key, cost)
            pipe.expire(redis_key, window_seconds + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            raise ServiceUnavailable("The rate limiter (Redis) cannot be reached.", service="redis") from exc
        allowed = count <= limit
        return RateDecision(allowed, limit, max(0, limit - count), 0 if allowed else retry)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        redis_key, retry = self._key(key, window_seconds)
        try:
            raw = self._r.get(redis_key)
        except redis.RedisError as exc:
            raise ServiceUnavailable("The rate limiter (Redis) cannot be reached.", service="redis") from exc
        count = int(raw or 0)  # type: ignore[arg-type]
        if count < limit:
            return RateDecision(True, limit, limit - count, 0)
        return RateDecision(False, limit, 0, retry)

    def reset(self, key: str) -> None:
        try:
            for found in self._r.scan_iter(match=f"{self._prefix}*:{key}", count=500):
                self._r.delete(found)
        except redis.RedisError as exc:
            raise ServiceUnavailable("The rate limiter (Redis) cannot be reached.", service="redis") from exc
