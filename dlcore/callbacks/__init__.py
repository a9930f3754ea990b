"""Callbacks: code that ``fit`` runs at the start and end of training, epochs and batches."""

from .base import Callback, History
from .checkpoint import ModelCheckpoint
from .early_stopping import EarlyStopping
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .logging import CSVLogger, TerminateOnNaN

__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
           "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger"]
