"""Finding things by name (losses, optimizers, activations, ...): one message for a wrong name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any


def unknown_name_error(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    """A ValueError for ``name`` listing every valid name and the closest one, if any."""
    choices = sorted(set(valid))
    close = difflib.get_close_matches(name.lower(), choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}; valid names: {', '.join(choices)}.{hint}")


def from_identifier(kind: str, identifier: str | dict, by_name: Mapping[str, type],
                    by_class_name: Mapping[str, type]) -> Any:
    """The object a config names: a registered name (``'he_normal'``, built with its defaults)
    or a ``{class_name, config}`` dict of a registered class. Only the registries are looked
    in, so a config read from a file can name nothing else."""
    if isinstance(identifier, dict):
        cls = by_class_name.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"unknown {kind} class {identifier.get('class_name')!r}; "
                             f"valid classes: {', '.join(sorted(by_class_name))}")
        return cls.from_config(identifier.get("config", {}))
    cls = by_name.get(identifier.lower())
    if cls is None:
        raise unknown_name_error(kind, identifier, by_name)
    return cls()
