"""Settings the pages read from the environment (numbers with a floor; a value that is not a number keeps the
default)."""
from __future__ import annotations

import os


def env_num(name: str, default: float, lo: float) -> float:
    """The number in environment variable ``name`` (at least ``lo``), or ``default`` when unset or not a number."""
    try:
        v = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return max(lo, v)
