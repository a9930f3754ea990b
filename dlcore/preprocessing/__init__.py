"""Data preparation: one-hot labels, normalising and standardising features, and image
augmentation with ``ImageDataGenerator``."""

from ..utils import normalize, to_categorical
from .image import ImageDataGenerator
from .iterator import NumpyArrayIterator
from .scaling import standardize

__all__ = ["ImageDataGenerator", "NumpyArrayIterator", "normalize", "standardize",
           "to_categorical"]
