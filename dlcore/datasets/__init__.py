"""Datasets for the course, none downloaded at run time.

* bundled with scikit-learn: ``load_digits``;
* from IDX files the user puts in a folder: ``load_mnist``, ``load_fashion_mnist``
  (and ``read_idx`` for one file);
* generated, seeded: ``make_spirals``, ``make_moons``, ``make_circles`` (2-D points),
  ``make_sine_windows``, ``make_adding_problem``, ``make_copy_task`` (sequences
  ``(batch, timesteps, features)``);
* from any text: ``make_char_dataset`` (next-character prediction).
"""

from .bundled import load_digits
from .idx import read_idx
from .mnist import load_fashion_mnist, load_mnist
from .sequences import make_adding_problem, make_copy_task, make_sine_windows
from .synthetic import make_circles, make_moons, make_spirals
from .text import CharDataset, make_char_dataset

__all__ = ["CharDataset", "load_digits", "load_fashion_mnist", "load_mnist",
           "make_adding_problem", "make_char_dataset", "make_circles", "make_copy_task",
           "make_moons", "make_sine_windows", "make_spirals", "read_idx"]
