"""PNG's row-filter predictors (the specification's None, Sub, Up, Average and Paeth), for tests that
write PNGs with chosen filters: Pillow picks its own."""
from __future__ import annotations


def predictor(kind: int, left: int, up: int, up_left: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    guess = left + up - up_left
    distances = abs(guess - left), abs(guess - up), abs(guess - up_left)
    return left if distances[0] <= min(distances[1:]) else up if distances[1] <= distances[2] else up_left
