"""``KerasClassifier``: a dlcore model-building function as a scikit-learn classifier.

Because it follows scikit-learn's estimator rules, the wrapper works wherever a
scikit-learn classifier does: ``cross_val_score``, ``GridSearchCV`` (also with
``n_jobs`` > 1), ``Pipeline``, ``clone``, pickling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import losses
from ..models import Model
from ..utils import set_random_seed, to_categorical
from .building import build_compiled_model
from .model_bytes import model_from_bytes, model_to_bytes

_PROBABILITY_TOLERANCE = 1e-3


class KerasClassifier(ClassifierMixin, BaseEstimator):
    """Train the model ``build_fn`` returns on ``fit(X, y)``; predict class labels.

    ``build_fn(**build_params)`` must return a compiled dlcore model whose output is one
    probability per class (``Dense(n_classes_, activation='softmax')``) or, for two
    classes, one probability (``Dense(1, activation='sigmoid')``). If its signature names
    ``n_features_in_`` or ``n_classes_``, it also receives the number of columns of ``X``
    and the number of classes in ``y``, so one function fits any data set.

    Build parameters are plain keywords: ``KerasClassifier(make_model, units=32)`` calls
    ``make_model(units=32)``. They are estimator parameters like ``epochs``, so
    ``get_params``, ``set_params``, ``clone`` and ``GridSearchCV(param_grid={'units':
    [16, 64]})`` handle them (inside a Pipeline step named ``'net'``: ``'net__units'``).
    A build parameter must be given to the constructor before it can be searched over.

    ``fit`` encodes any class labels (strings, integers not starting at 0) as 0..K-1 and
    trains on them in the form the loss needs: integer codes for
    ``sparse_categorical_crossentropy``, a 0/1 column for a one-unit output, one-hot rows
    otherwise. ``epochs``, ``batch_size``, ``verbose`` and ``validation_split`` go to
    ``model.fit``. With a ``seed``, ``fit`` starts with ``set_random_seed(seed)``, so
    fitting twice gives the same model.

    Fitted attributes: ``model_`` (the trained model), ``history_`` (its
    ``History.history``), ``classes_``, ``n_classes_``, ``n_features_in_``.
    """

    def __init__(self, build_fn: Callable[..., Model] | None = None, *, epochs: int = 10,
                 batch_size: int = 32, verbose: int = 0, validation_split: float = 0.0,
                 seed: int | None = None, **build_params: Any) -> None:
        self.build_fn = build_fn
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.validation_split = validation_split
        self.seed = seed
        clashes = sorted(name for name in build_params
                         if hasattr(type(self), name) or name.endswith("_"))
        if clashes:
            raise TypeError(f"KerasClassifier: the build parameter name(s) {clashes} clash "
                            "with the wrapper's own methods or fitted attributes; rename "
                            "them in build_fn")
        self._build_param_names = tuple(build_params)
        for name, value in build_params.items():
            setattr(self, name, value)

    # ----- parameters --------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The wrapper's parameters and the build parameters, by name."""
        return {**super().get_params(deep=deep),
                **{name: getattr(self, name) for name in self._build_param_names}}

    def set_params(self, **params: Any) -> KerasClassifier:
        """Change parameters (build parameters included) by name; returns the wrapper."""
        known = self.get_params()
        unknown = sorted(name for name in params if name not in known)
        if unknown:
            raise ValueError(f"KerasClassifier.set_params: unknown parameter(s) {unknown}; "
                             f"the parameters are {sorted(known)}. A parameter for build_fn "
                             "must first be given to the constructor, e.g. "
                             f"KerasClassifier(build_fn, {unknown[0]}=...)")
        return super().set_params(**params)

    # ----- training ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> KerasClassifier:
        """Build a fresh model and train it on ``X`` (samples x features) and labels ``y``."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(f"KerasClassifier.fit: y holds only one class "
                             f"({self.classes_[0]!r}); a classifier needs samples of at "
                             "least 2 classes")
        if self.seed is not None:
            set_random_seed(self.seed)
        self.model_ = build_compiled_model(
            self.build_fn, "KerasClassifier.fit",
            arguments={name: getattr(self, name) for name in self._build_param_names},
            meta={"n_features_in_": self.n_features_in_, "n_classes_": self.n_classes_})
        if not self.model_.built:
            self.model_.build(X.shape)
        history = self.model_.fit(X, self._targets(codes), epochs=self.epochs,
                                  batch_size=self.batch_size, verbose=self.verbose,
                                  validation_split=self.validation_split)
        self.history_ = history.history
        return self

    def _targets(self, codes: np.ndarray) -> np.ndarray:
        """The class codes 0..K-1 in the form the model's output and loss expect."""
        width = self.model_.output_shape[-1]
        if width == 1 and self.n_classes_ == 2:
            return codes.reshape(-1, 1).astype(np.float32)
        if width != self.n_classes_:
            raise ValueError(
                f"KerasClassifier.fit: the model gives {width} outputs per sample, but y "
                f"holds {self.n_classes_} classes; end the model with "
                "Dense(n_classes_, activation='softmax') (build_fn may take an n_classes_ "
                "argument), or with Dense(1, activation='sigmoid') for two classes")
        if self.model_.loss is losses.sparse_categorical_crossentropy:
            return codes
        return to_categorical(codes, width)

    # ----- prediction ----------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class (columns in the order of ``classes_``) per sample."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        outputs = self.model_.predict(X, batch_size=self.batch_size).astype(np.float64)
        if outputs.shape[1] == 1:
            outputs = np.hstack([1 - outputs, outputs])
        sums = outputs.sum(axis=1)
        if np.any(outputs < 0) or np.any(np.abs(sums - 1) > _PROBABILITY_TOLERANCE):
            raise ValueError(
                "KerasClassifier.predict_proba: the model's outputs are not probabilities "
                f"(row sums from {sums.min():.3g} to {sums.max():.3g}); end the model with "
                "activation='softmax' (or 'sigmoid' for a single output unit)")
        return outputs / sums[:, np.newaxis]

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each sample."""
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(axis=1)]

    # ----- pickling ------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The attributes, with a fitted model stored as the bytes of its ``.h5`` file."""
        state = super().__getstate__()
        if "model_" in state:
            state = {**state, "model_": model_to_bytes(state["model_"])}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "model_" in state:
            state = {**state, "model_": model_from_bytes(state["model_"])}
        super().__setstate__(state)
