"""An in-process LRU cache with time-to-live, for any web framework."""

import time
from collections import OrderedDict


class Cache:
    def __init__(self, size: int = 128, ttl: float = 60.0) -> None:
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self.size, self.ttl = size, ttl

    def get(self, key: str) -> object | None:
        stored = self._items.get(key)
        if stored is None or stored[0] < time.monotonic():
            return None
        self._items.move_to_end(key)
        return stored[1]

    def set(self, key: str, value: object) -> None:
        self._items[key] = (time.monotonic() + self.ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
