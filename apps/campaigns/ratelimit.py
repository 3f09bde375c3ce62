"""A token bucket in Redis, shared by every worker process that calls the same ESP account.

The refill and the take happen in one Lua script, so concurrent workers never overdraw it.
"""

from __future__ import annotations

import time

from django_redis import get_redis_connection
from redis.commands.core import Script

_TAKE = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + (now - ts) * rate)
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = (wanted - tokens) / rate
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, math.ceil((capacity / rate) * 1000) + 1000)
return tostring(wait)
"""


class TokenBucket:
    def __init__(self, *, key: str, rate_per_second: float, capacity: float | None = None):
        self.key = key
        self.rate = float(rate_per_second)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate_per_second))
        self._script: Script | None = None

    def _take(self, wanted: float) -> float:
        if self._script is None:
            self._script = get_redis_connection("default").register_script(_TAKE)
        # Redis server time would be better across hosts; workers share NTP-synced clocks.
        return float(
            self._script(keys=[self.key], args=[self.rate, self.capacity, time.time(), wanted])
        )

    def acquire(self, tokens: float = 1.0, *, max_wait: float = 60.0) -> float:
        """Block until `tokens` are available; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            wait = self._take(tokens)
            if wait <= 0:
                return waited
            if waited + wait > max_wait:
                raise TimeoutError(f"rate limit bucket {self.key} empty for {max_wait}s")
            time.sleep(wait)
            waited += wait
