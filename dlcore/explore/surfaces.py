"""Two-dimensional test functions for watching optimizers move: ``SURFACES``.

Each ``function(x, y)`` uses only ``+ - * **`` and numbers, so the same formula works on
numpy arrays (to draw contours) and on dlcore Tensors (to be differentiated by dlcore's
autodiff). ``gradient(x, y)`` is the derivative worked out by hand, to check autodiff with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import checked_choice

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A named loss surface f(x, y) with its gradient, a view box, a start and its minimum.

    ``bounds`` is ``((x_min, x_max), (y_min, y_max))``; ``minimum`` is ``None`` when f has
    no minimum (the saddle is unbounded below).
    """

    name: str
    function: Callable[[Any, Any], Any]
    gradient: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    bounds: tuple[Point, Point]
    start: Point
    minimum: Point | None
    description: str


def rosenbrock(x: Any, y: Any) -> Any:
    """f = (1 - x)^2 + 100 (y - x^2)^2: a curved, narrow valley with its minimum at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """df/dx = -2 (1 - x) - 400 x (y - x^2);  df/dy = 200 (y - x^2)."""
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def beale(x: Any, y: Any) -> Any:
    """f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum 0 at (3, 0.5)."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """With r_k = c_k - x + x y^k:  df/dx = sum 2 r_k (y^k - 1);  df/dy = sum 2 r_k k x y^(k-1)."""
    residuals = [(1.5 - x + x * y, 1), (2.25 - x + x * y**2, 2), (2.625 - x + x * y**3, 3)]
    d_x = sum(2 * r * (y**k - 1) for r, k in residuals)
    d_y = sum(2 * r * k * x * y ** (k - 1) for r, k in residuals)
    return d_x, d_y


def saddle(x: Any, y: Any) -> Any:
    """f = x^2 - y^2: a minimum along x, a maximum along y, a flat saddle point at (0, 0)."""
    return x**2 - y**2


def saddle_gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """df/dx = 2x;  df/dy = -2y."""
    return 2 * x, -2 * y


def elongated_bowl(x: Any, y: Any) -> Any:
    """f = (x^2 + 50 y^2) / 2: a quadratic with condition number 50 (curvatures 1 and 50)."""
    return (x**2 + 50 * y**2) / 2


def elongated_bowl_gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """df/dx = x;  df/dy = 50 y."""
    return x, 50 * y


SURFACES: dict[str, Surface] = {
    surface.name: surface
    for surface in (
        Surface("rosenbrock", rosenbrock, rosenbrock_gradient, ((-2.0, 2.0), (-1.0, 3.0)),
                (-1.5, 2.5), (1.0, 1.0),
                "A banana-shaped valley: easy to fall into, slow to follow to its end."),
        Surface("beale", beale, beale_gradient, ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.5),
                (3.0, 0.5), "Flat plateaus and steep walls: gradients vary by orders of "
                "magnitude."),
        Surface("saddle", saddle, saddle_gradient, ((-2.0, 2.0), (-2.0, 2.0)), (1.8, 0.01),
                None, "x^2 - y^2: the gradient vanishes at the saddle point; the way down "
                "along y is found only slowly by plain gradient descent."),
        Surface("quadratic", elongated_bowl, elongated_bowl_gradient, ((-6.0, 6.0),
                (-2.0, 2.0)), (-5.0, 1.5), (0.0, 0.0),
                "A bowl 50 times steeper across than along: plain SGD zig-zags."),
    )
}


def get_surface(surface: str | Surface) -> Surface:
    """The ``Surface`` for a name in ``SURFACES`` (or the surface itself)."""
    if isinstance(surface, Surface):
        return surface
    return SURFACES[checked_choice("get_surface", "surface", surface, SURFACES)]
