"""Finding things by name (losses, optimizers, activations, ...): one message for a wrong name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_name_error(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    """A ValueError for ``name`` listing every valid name and the closest one, if any."""
    choices = sorted(set(valid))
    close = difflib.get_close_matches(name.lower(), choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}; valid names: {', '.join(choices)}.{hint}")
