"""MNIST and Fashion-MNIST from the four IDX files in a folder the user provides.

Nothing is downloaded: the files are obtained by hand once and put in one folder, each
under its standard name, raw or gzipped (``.gz``)::

    train-images-idx3-ubyte   train-labels-idx1-ubyte
    t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .idx import read_idx

FILE_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MNIST_SOURCE = ("https://yann.lecun.com/exdb/mnist/ (mirror: "
                "https://ossci-datasets.s3.amazonaws.com/mnist/)")
FASHION_MNIST_SOURCE = "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion)"

Split = tuple[np.ndarray, np.ndarray]


def load_mnist(path: str | os.PathLike) -> tuple[Split, Split]:
    """The MNIST handwritten digits from the IDX files in the folder ``path``.

    Returns ``((x_train, y_train), (x_test, y_test))`` as Keras does: ``x`` uint8 pixel
    intensities 0-255 of shape ``(n, 28, 28)``, ``y`` the digits 0-9 as uint8 ``(n,)``;
    60,000 training and 10,000 test images.
    """
    return _load_idx_folder(path, "load_mnist", "MNIST", MNIST_SOURCE)


def load_fashion_mnist(path: str | os.PathLike) -> tuple[Split, Split]:
    """Fashion-MNIST (Zalando's clothing images) from the IDX files in the folder ``path``.

    Same files, names and layout as ``load_mnist``: uint8 ``(n, 28, 28)`` images and
    uint8 ``(n,)`` labels 0-9 (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat,
    5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot).
    """
    return _load_idx_folder(path, "load_fashion_mnist", "Fashion-MNIST", FASHION_MNIST_SOURCE)


def _load_idx_folder(path: str | os.PathLike, function: str, dataset: str,
                    source: str) -> tuple[Split, Split]:
    """``((x_train, y_train), (x_test, y_test))`` from the four ``FILE_NAMES`` in ``path``.

    ``function``, ``dataset`` and ``source`` (where to obtain the files) go into the
    error raised when files are missing.
    """
    folder = Path(path)
    files = [_find_file(folder, name) for name in FILE_NAMES]
    missing = [name for name, file in zip(FILE_NAMES, files, strict=True) if file is None]
    if missing:
        raise FileNotFoundError(_missing_message(folder, missing, function, dataset, source))
    train_images, train_labels, test_images, test_labels = files
    return (_images_and_labels(function, train_images, train_labels),
            _images_and_labels(function, test_images, test_labels))


def _find_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` if it exists, else ``folder/name.gz`` if that exists, else None."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing_message(folder: Path, missing: list[str], function: str, dataset: str,
                     source: str) -> str:
    where = (f"there is no folder {folder}" if not folder.is_dir()
             else f"{folder} lacks {', '.join(missing)} (raw or .gz)")
    wanted = "\n".join(f"    {name}  or  {name}.gz" for name in FILE_NAMES)
    return (f"{function}: {where}. Put the four {dataset} files in that folder, each raw or "
            f"gzipped, under these names:\n{wanted}\nThey can be downloaded by hand from "
            f"{source}; dlcore never downloads anything itself.")


def _images_and_labels(function: str, images_file: Path, labels_file: Path) -> Split:
    """The images and labels of one split, checked to be uint8, of rank 3 and 1, and as many."""
    images, labels = read_idx(images_file), read_idx(labels_file)
    for array, file, rank, layout in ((images, images_file, 3, "(n, rows, cols)"),
                                      (labels, labels_file, 1, "(n,)")):
        if array.dtype != np.uint8 or array.ndim != rank:
            raise ValueError(f"{function}: {file} should hold uint8 values of shape {layout}, "
                             f"got {array.dtype} of shape {array.shape}; check that each file "
                             "has its standard name (images and labels swapped?)")
    if len(images) != len(labels):
        raise ValueError(f"{function}: {images_file} holds {len(images)} images but "
                         f"{labels_file} holds {len(labels)} labels; both must come from the "
                         "same set: obtain them again")
    return images, labels
