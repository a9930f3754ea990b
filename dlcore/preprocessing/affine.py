"""From rotation, shift, zoom and flips to the matrices that ``affine_warp`` reads.

Every output pixel ``o = (row, col)`` of an ``H x W`` image reads the input at::

    source = center + R(angle) @ (Z @ F @ (o - center) - t)

with ``center = ((H - 1) / 2, (W - 1) / 2)`` and, per image:

* ``R(angle) = [[cos, sin], [-sin, cos]]``: the content turns by ``angle`` radians,
  counter-clockwise on screen (rows point down);
* ``Z = diag(zoom_rows, zoom_cols)``: a zoom below 1 enlarges the content (zooms in),
  above 1 shrinks it;
* ``F = diag(+-1, +-1)``: -1 flips that axis (vertical flip on rows, horizontal on columns);
* ``t = (shift_rows, shift_cols)``: the content moves down and right by that many pixels.

Written as ``source = A @ o + offset``, with ``A = R @ Z @ F`` and
``offset = center - A @ center - R @ t``, one ``(2, 3)`` matrix ``[A | offset]`` per image.
"""

from __future__ import annotations

import numpy as np


def inverse_affine_matrices(angles: np.ndarray, shifts: np.ndarray, zooms: np.ndarray,
                            flips: np.ndarray, height: int, width: int) -> np.ndarray:
    """The ``(N, 2, 3)`` matrices for ``N`` images.

    ``angles`` ``(N,)`` in radians; ``shifts`` ``(N, 2)`` in pixels (rows, cols); ``zooms``
    ``(N, 2)`` (rows, cols); ``flips`` ``(N, 2)`` booleans (vertical, horizontal).
    """
    cos, sin = np.cos(angles), np.sin(angles)
    shift_rows, shift_cols = shifts[:, 0], shifts[:, 1]
    scale_rows, scale_cols = (zooms * np.where(flips, -1.0, 1.0)).T  # diagonal of Z @ F
    center_row, center_col = (height - 1) / 2, (width - 1) / 2
    matrices = np.empty((len(angles), 2, 3))
    a = matrices[:, :, :2]  # A = R @ Z @ F, written element by element
    a[:, 0, 0], a[:, 0, 1] = cos * scale_rows, sin * scale_cols
    a[:, 1, 0], a[:, 1, 1] = -sin * scale_rows, cos * scale_cols
    # offset = center - A @ center - R @ t
    matrices[:, 0, 2] = (center_row - a[:, 0, 0] * center_row - a[:, 0, 1] * center_col
                         - (cos * shift_rows + sin * shift_cols))
    matrices[:, 1, 2] = (center_col - a[:, 1, 0] * center_row - a[:, 1, 1] * center_col
                         - (cos * shift_cols - sin * shift_rows))
    return matrices
