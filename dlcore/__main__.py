"""``python -m dlcore``: check the engine, train a first Keras-style model, save and reload it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import dlcore as dl
from dlcore.layers import Dense, Flatten
from dlcore.models import Sequential, load_model


def autodiff_check() -> float:
    """Differentiate a small loss with backward, redo it with finite differences, compare.

    Returns the largest absolute difference between the two gradients.
    """
    rng = np.random.default_rng(0)
    x = dl.tensor(rng.standard_normal((5, 3)), dtype="float64")
    w = dl.tensor(rng.standard_normal(3), requires_grad=True, dtype="float64")

    def loss_of(weights: dl.Tensor) -> dl.Tensor:
        return ((x @ weights).tanh() ** 2).mean()

    loss_of(w).backward()
    eps = 1e-6
    numeric = np.zeros(3)
    with dl.no_grad():
        for i in range(3):
            step = np.zeros(3)
            step[i] = eps
            numeric[i] = (loss_of(w + step).item() - loss_of(w - step).item()) / (2 * eps)
    largest = float(np.max(np.abs(numeric - w.grad)))
    print("1. Autodiff: d/dw mean(tanh(x @ w)**2)")
    print(f"   by backward():          {np.array2string(w.grad, precision=8)}")
    print(f"   by finite differences:  {np.array2string(numeric, precision=8)}")
    print(f"   largest difference: {largest:.1e}\n")
    return largest


def train_digits(folder: Path) -> float:
    """Train a small MLP on the bundled 8x8 digits; save, reload, compare. Returns accuracy."""
    (x_train, y_train), (x_test, y_test) = dl.datasets.load_digits()
    x_train, x_test = x_train / 16.0, x_test / 16.0
    print(f"2. A first Keras-style model: {len(x_train)} training and {len(x_test)} test images "
          "of handwritten digits (8x8, bundled with scikit-learn)")
    dl.utils.set_random_seed(0)
    model = Sequential([
        Flatten(input_shape=(8, 8)),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.1, verbose=1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"   test loss {loss:.4f}, test accuracy {accuracy:.1%}\n")

    path = folder / "digits_mlp.h5"
    model.save(path)
    reloaded = load_model(path)
    same = np.array_equal(reloaded.predict(x_test), model.predict(x_test))
    print(f"3. Saved to {path.name} ({path.stat().st_size:,} bytes) and loaded back: "
          f"predictions {'identical' if same else 'DIFFERENT'}\n")
    if not same:
        raise SystemExit("the reloaded model predicts differently: the installation is broken")
    return accuracy


def main() -> None:
    print(f"dlcore {dl.__version__}: learn deep learning by building it\n")
    if autodiff_check() > 1e-6:
        raise SystemExit("the gradients disagree: the installation is broken")
    with tempfile.TemporaryDirectory() as folder:
        train_digits(Path(folder))
    print("Next: open the course in JupyterLab with\n    .venv/bin/jupyter lab notebooks/")


if __name__ == "__main__":
    main()
