"""Argument checks for the explore functions: each error names the function, what it expected,
what it got, and how to fix it.

Whole numbers and real numbers are checked as the dataset makers check them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..datasets._arguments import real_number as checked_number
from ..datasets._arguments import whole_number as checked_int

__all__ = ["checked_choice", "checked_int", "checked_number"]


def checked_choice(function: str, argument: str, value: Any, choices: Iterable[str]) -> str:
    """``value``, which must be one of ``choices``."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{function}: unknown {argument} {value!r}; expected one of "
                         f"{', '.join(map(repr, choices))}")
    return value
