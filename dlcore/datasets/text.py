"""A character-level set from any text: predict the next character from the ones before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arguments import whole_number


@dataclass(frozen=True, eq=False)
class CharDataset:
    """Windows of character ids and the id of the character after each window.

    ``x`` int64 ``(n, window)``; ``y`` int64 ``(n,)``; ``vocabulary`` the text's distinct
    characters, sorted: the character with id ``i`` is ``vocabulary[i]``.
    """

    x: np.ndarray
    y: np.ndarray
    vocabulary: str

    @property
    def vocabulary_size(self) -> int:
        """The number of distinct characters (``Embedding``'s ``input_dim``, Dense's units)."""
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text``, int64 ``(len(text),)``."""
        if not isinstance(text, str):
            raise TypeError(f"CharDataset.encode expects a str, got {type(text).__name__}")
        known = set(self.vocabulary)
        for position, char in enumerate(text):
            if char not in known:
                raise ValueError(f"CharDataset.encode: the character {char!r} (position "
                                 f"{position}) is not in the vocabulary {self.vocabulary!r}; "
                                 "use only characters of the text the set was made from")
        return character_ids(text, self.vocabulary)

    def decode(self, ids: Any) -> str:
        """The text whose character ids are ``ids`` (an int or a 1-D array of ints)."""
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"CharDataset.decode expects integer ids, got dtype {ids.dtype}; "
                            "take the argmax of predicted probabilities first")
        if ids.ndim > 1:
            raise ValueError(f"CharDataset.decode expects an int or a 1-D array of ids, got "
                             f"shape {ids.shape}; decode one sequence at a time")
        ids = ids.reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size):
            raise ValueError(f"CharDataset.decode: ids must lie in [0, "
                             f"{self.vocabulary_size}), got ids from {ids.min()} to "
                             f"{ids.max()}")
        return "".join(self.vocabulary[i] for i in ids)


def character_ids(text: str, vocabulary: str) -> np.ndarray:
    """The position in ``vocabulary`` of each character of ``text``, int64."""
    id_of = {char: i for i, char in enumerate(vocabulary)}
    return np.array([id_of[char] for char in text], dtype=np.int64)


def make_char_dataset(text: str, window: int = 40, step: int = 1) -> CharDataset:
    """Next-character examples from ``text``.

    Example ``j`` starts at character ``s = j * step``: ``x[j]`` holds the ids of
    ``text[s : s + window]`` and ``y[j]`` the id of ``text[s + window]``, for every start
    with a character after its window: ``n = ceil((len(text) - window) / step)``.
    """
    function = "make_char_dataset"
    if not isinstance(text, str):
        raise TypeError(f"{function} expects the text as a str, got {type(text).__name__}; "
                        "read a file with open(path, encoding='utf-8').read()")
    window = whole_number(function, "window", window)
    step = whole_number(function, "step", step)
    if len(text) < window + 1:
        raise ValueError(f"{function}: the text has {len(text)} characters, but one example "
                         f"needs window + 1 = {window + 1}; pass a longer text or a smaller "
                         "window")
    vocabulary = "".join(sorted(set(text)))
    ids = character_ids(text, vocabulary)
    starts = np.arange(0, len(text) - window, step)
    return CharDataset(x=ids[starts[:, None] + np.arange(window)], y=ids[starts + window],
                       vocabulary=vocabulary)
