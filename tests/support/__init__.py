"""Helpers shared by the test suite (on sys.path through pyproject's `pythonpath`)."""
from pathlib import Path

#: The repository root, for tests that run `python -m app` / `python -m segmodels` from a checkout.
REPO = Path(__file__).resolve().parents[2]
