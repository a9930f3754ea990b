"""Models: ``Sequential`` (a stack of layers) with compile, fit, evaluate, predict, save."""

from ..saving import load_model
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
