"""``python -m dlcore``: a short tour of the engine, checked against finite differences."""

from __future__ import annotations

import numpy as np

import dlcore as dl


def autodiff_demo() -> float:
    """Differentiate a small loss with backward, redo it with finite differences, compare.

    Returns the largest absolute difference between the two gradients.
    """
    rng = np.random.default_rng(0)
    x = dl.tensor(rng.standard_normal((5, 3)), dtype="float64")
    w = dl.tensor(rng.standard_normal(3), requires_grad=True, dtype="float64")

    def loss_of(weights: dl.Tensor) -> dl.Tensor:
        return ((x @ weights).tanh() ** 2).mean()

    loss = loss_of(w)
    loss.backward()
    print(f"loss = mean(tanh(x @ w)**2) = {loss.item():.6f}   with x of shape {x.shape}")
    print(f"dloss/dw by backward():           {np.array2string(w.grad, precision=8)}")

    eps = 1e-6
    numeric = np.zeros(3)
    with dl.no_grad():
        for i in range(3):
            step = np.zeros(3)
            step[i] = eps
            numeric[i] = (loss_of(w + step).item() - loss_of(w - step).item()) / (2 * eps)
    print(f"dloss/dw by finite differences:   {np.array2string(numeric, precision=8)}")
    largest = float(np.max(np.abs(numeric - w.grad)))
    print(f"largest difference: {largest:.2e}")
    dl.gradcheck(loss_of, w)
    print("dl.gradcheck(loss_of, w): passed")
    return largest


def main() -> None:
    print(f"dlcore {dl.__version__}: learn deep learning by building it\n")
    largest = autodiff_demo()
    if largest > 1e-6:
        raise SystemExit("the gradients disagree: the installation is broken")


if __name__ == "__main__":
    main()
