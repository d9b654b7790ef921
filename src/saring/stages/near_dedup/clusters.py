"""Connected components of a large edge list, with a vectorized union-find (numpy only).

Edges arrive in chunks; each chunk is merged by hooking the larger root onto the smaller one until
every edge of the chunk joins one component. The root of a component is its smallest index.
"""

from __future__ import annotations

import numpy as np


class UnionFind:
    def __init__(self, size: int) -> None:
        dtype = np.int32 if size < 2**31 else np.int64
        self.parent = np.arange(size, dtype=dtype)

    def roots(self, nodes: np.ndarray) -> np.ndarray:
        found = self.parent[nodes]
        while True:
            up = self.parent[found]
            if np.array_equal(up, found):
                return found
            found = up

    def union(self, left: np.ndarray, right: np.ndarray) -> None:
        while len(left):
            a, b = self.roots(left), self.roots(right)
            apart = a != b
            if not apart.any():
                return
            left, right, a, b = left[apart], right[apart], a[apart], b[apart]
            np.minimum.at(self.parent, np.maximum(a, b), np.minimum(a, b))

    def all_roots(self) -> np.ndarray:
        """The root of every node (and the parents flattened to them)."""
        while True:
            up = self.parent[self.parent]
            if np.array_equal(up, self.parent):
                return self.parent
            self.parent = up
