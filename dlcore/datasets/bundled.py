"""Datasets that need no download: data bundled with the installed packages.

Each loader returns Keras-style ``((x_train, y_train), (x_test, y_test))``.
"""

from __future__ import annotations

import numpy as np


def load_digits(test_fraction: float = 0.25) -> tuple[tuple[np.ndarray, np.ndarray],
                                                      tuple[np.ndarray, np.ndarray]]:
    """The 1,797 handwritten digits bundled with scikit-learn, as 8x8 images.

    ``x`` holds uint8 pixel intensities from 0 to 16 with shape ``(n, 8, 8)``; ``y`` the
    digit 0-9 as int64. The split is fixed and stratified: every run, on every machine,
    gets the same ``test_fraction`` of each digit as test data.
    """
    from sklearn.datasets import load_digits as bundled_digits
    from sklearn.model_selection import train_test_split

    digits = bundled_digits()
    images = digits.images.astype(np.uint8)
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=0)
    return (x_train, y_train), (x_test, y_test)
