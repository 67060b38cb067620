"""The embedding cache: hits, misses and least-recently-used eviction."""
from __future__ import annotations

import pytest

from segmodels.prompts.cache import EmbeddingCache


def test_hit_miss_and_eviction_of_the_least_recently_used():
    cache = EmbeddingCache(2)
    cache.put(("a.png", 1), "A")
    cache.put(("b.png", 1), "B")
    assert cache.get(("a.png", 1)) == "A"          # a is now the most recent
    assert cache.get(("a.png", 2)) is None          # another stamp: the file changed
    cache.put(("c.png", 1), "C")                    # evicts b, the least recently used
    assert ("b.png", 1) not in cache and ("a.png", 1) in cache and ("c.png", 1) in cache
    assert len(cache) == 2 and (cache.hits, cache.misses) == (1, 1)


def test_putting_a_key_again_refreshes_it():
    cache = EmbeddingCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    cache.put("c", 4)
    assert cache.get("a") == 3 and "b" not in cache


def test_size_below_one_is_refused():
    with pytest.raises(ValueError):
        EmbeddingCache(0)
