"""Deterministic bounded samples: a reservoir per key and a bottom-k sample of clusters."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Reservoir(Generic[T]):
    """A uniform sample of ``size`` items from a stream; ``make`` builds an item only when it is kept."""

    def __init__(self, size: int, seed: str) -> None:
        self.size = size
        self.items: list[T] = []
        self.seen = 0
        self._random = random.Random(seed)  # a str seed is stable across processes

    def offer(self, make: Callable[[], T]) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(make())
            return
        slot = self._random.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = make()


class ClusterSample(Generic[T]):
    """Members of the ``size`` clusters whose keys hash lowest (a bottom-k sample).

    A key that ends among the k lowest was among the k lowest from its first appearance on, so every
    member of a chosen cluster that streams past after it is collected, whatever the order.
    """

    def __init__(self, size: int, members: int) -> None:
        self.size = size
        self.max_members = members
        self.members: dict[str, list[T]] = {}
        self._ids: dict[str, set[str]] = {}
        self._hashes: dict[str, int] = {}

    def offer(self, key: str, member_id: str, make: Callable[[], T], first: bool = False) -> None:
        """Add a member of cluster ``key`` (at the front when ``first``), if the cluster is chosen."""
        if key not in self.members:
            digest = zlib.crc32(key.encode("utf-8", "replace"))
            if len(self.members) >= self.size:
                highest = max(self._hashes, key=self._hashes.__getitem__)
                if digest >= self._hashes[highest]:
                    return
                for table in (self.members, self._ids, self._hashes):
                    del table[highest]
            self.members[key], self._ids[key], self._hashes[key] = [], set(), digest
        self.attach(key, member_id, make, first)

    def attach(self, key: str, member_id: str, make: Callable[[], T], first: bool = False) -> None:
        """Add a member to cluster ``key`` only if that cluster is chosen (``first``: the kept copy)."""
        members = self.members.get(key)
        if members is None or member_id in self._ids[key] or (len(members) >= self.max_members and not first):
            return
        if len(members) >= self.max_members:  # the first copy always has a place: drop the last one
            members.pop()
        self._ids[key].add(member_id)
        members.insert(0 if first else len(members), make())

    def clusters(self) -> list[list[T]]:
        """The chosen clusters with more than one member, by key hash."""
        keys = sorted(self.members, key=self._hashes.__getitem__)
        return [self.members[k] for k in keys if len(self.members[k]) > 1]
