"""Model selection: cross-validation and a scikit-learn classifier around dlcore models.

* ``cross_validate(build_fn, x, y, cv=5, ...)``: a fresh model from ``build_fn()`` for
  each fold, trained and evaluated; returns a ``CrossValidationResult`` with per-fold
  histories and scores and their mean and standard deviation.
* ``KerasClassifier(build_fn, epochs=..., **build_params)``: a scikit-learn estimator,
  for ``cross_val_score``, ``GridSearchCV``, ``Pipeline`` and the rest of scikit-learn.
"""

from .cross_validation import CrossValidationResult, cross_validate
from .estimator import KerasClassifier

__all__ = ["CrossValidationResult", "KerasClassifier", "cross_validate"]
