"""K-fold cross-validation of a model-building function: a fresh model for every fold.

Written out by hand, the loop this module runs is::

    for fold, (train, test) in enumerate(StratifiedKFold(5, shuffle=True).split(x, labels)):
        set_random_seed(seed + fold)
        model = build_fn()
        history = model.fit(x[train], y[train], **fit_kwargs)
        scores = model.evaluate(x[test], y[test])     # [loss, accuracy]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.multiclass import type_of_target

from ..models import Model
from ..utils import set_random_seed
from .building import build_compiled_model


@dataclass
class CrossValidationResult:
    """What each fold's model learned (``histories``) and scored on its test part (``scores``).

    ``histories[k]`` is fold k's ``History.history`` dict (one float per epoch);
    ``scores[k]`` maps the model's ``metrics_names`` (``'loss'``, ``'accuracy'``, ...) to
    the values ``evaluate`` returned on fold k's held-out samples.
    """

    histories: list[dict[str, list[float]]]
    scores: list[dict[str, float]]

    @property
    def mean(self) -> dict[str, float]:
        """Each score averaged over the folds."""
        return {name: float(np.mean(values)) for name, values in self._by_metric().items()}

    @property
    def std(self) -> dict[str, float]:
        """Each score's standard deviation over the folds (numpy's, ``ddof=0``)."""
        return {name: float(np.std(values)) for name, values in self._by_metric().items()}

    def _by_metric(self) -> dict[str, list[float]]:
        return {name: [fold[name] for fold in self.scores] for name in self.scores[0]}

    def summary(self) -> str:
        """One line, e.g. ``loss 0.141 ± 0.012, accuracy 0.962 ± 0.008 over 5 folds``."""
        mean, std = self.mean, self.std
        parts = [f"{name} {mean[name]:.3f} ± {std[name]:.3f}" for name in mean]
        return f"{', '.join(parts)} over {len(self.scores)} folds"

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"CrossValidationResult({self.summary()})"


def cross_validate(build_fn: Callable[[], Model], x: Any, y: Any, cv: Any = 5,
                   fit_kwargs: dict[str, Any] | None = None,
                   evaluate_kwargs: dict[str, Any] | None = None, seed: int | None = None,
                   verbose: int = 0) -> CrossValidationResult:
    """Train and test a fresh model from ``build_fn()`` on each fold of ``x, y``.

    ``build_fn`` takes no arguments and returns a compiled dlcore model. ``cv`` is the
    number of folds or any scikit-learn splitter (``KFold(3)``, ``StratifiedKFold(...)``,
    ...). With a number, class labels (integers, or one-hot rows) are split by
    ``StratifiedKFold(cv, shuffle=True, random_state=seed)``, so each fold holds every
    class in the same proportion; other targets by ``KFold`` with the same arguments.
    A splitter gets the class index of each sample as its ``y``, so stratifying works
    on one-hot labels too, while the models are trained on ``y`` as given.

    ``fit_kwargs`` go to every ``model.fit`` (e.g. ``{'epochs': 10, 'batch_size': 32}``),
    ``evaluate_kwargs`` to every ``model.evaluate``; ``verbose`` goes to both. With a
    ``seed``, fold k starts with ``set_random_seed(seed + k)``, so two calls with the same
    seed give identical results.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"cross_validate: x has {len(x)} samples but y has {len(y)}; give "
                         "one target per sample")
    fit_kwargs = _keyword_dict(fit_kwargs, "fit_kwargs")
    evaluate_kwargs = _keyword_dict(evaluate_kwargs, "evaluate_kwargs")
    labels = class_labels(y)
    splitter = _splitter(cv, labels is not None, seed)
    histories, scores = [], []
    for fold, (train, test) in enumerate(splitter.split(x, y if labels is None else labels)):
        if seed is not None:
            set_random_seed(seed + fold)
        model = build_compiled_model(build_fn, "cross_validate")
        history = model.fit(x[train], y[train], **{"verbose": verbose, **fit_kwargs})
        values = model.evaluate(x[test], y[test], **{"verbose": verbose, **evaluate_kwargs})
        histories.append(dict(history.history))
        scores.append(dict(zip(model.metrics_names, np.atleast_1d(values).tolist(),
                               strict=True)))
    return CrossValidationResult(histories, scores)


def class_labels(y: np.ndarray) -> np.ndarray | None:
    """The class of each sample (from 1-D labels or one-hot rows); None for other targets."""
    if y.ndim > 2:
        return None
    kind = type_of_target(y)
    if kind in ("binary", "multiclass"):
        return y.reshape(len(y))
    if kind == "multilabel-indicator" and np.all(y.sum(axis=1) == 1):
        return y.argmax(axis=1)
    return None


def _splitter(cv: Any, stratify: bool, seed: int | None) -> Any:
    """The splitter ``cv`` names: a fold count becomes a shuffled (Stratified)KFold."""
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cross_validate: cv={cv} folds; cross-validation needs at least "
                             "2, e.g. cv=5")
        splitter_class = StratifiedKFold if stratify else KFold
        return splitter_class(int(cv), shuffle=True, random_state=seed)
    if isinstance(cv, str) or not callable(getattr(cv, "split", None)):
        raise TypeError(f"cross_validate: cv must be a number of folds or a scikit-learn "
                        f"splitter with a .split(x, y) method, got {cv!r}; pass e.g. cv=5 or "
                        "cv=KFold(5, shuffle=True)")
    return cv


def _keyword_dict(value: dict[str, Any] | None, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"cross_validate: {name} must be a dict of keyword arguments, got "
                        f"{value!r}; pass e.g. {name}={{'batch_size': 32}}")
    return value
