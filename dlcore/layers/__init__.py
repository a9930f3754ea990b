"""Keras-style layers. Each one builds its weights on the first call and runs functional ops."""

from .base import Layer
from .convolutional import Conv2D
from .core import Activation, Dense, Dropout, Flatten
from .embedding import Embedding
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, MaxPooling2D
from .recurrent import LSTM, SimpleRNN

# The only classes a saved model file may name: loading looks layers up here and nowhere else.
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Dense, Activation, Dropout, Flatten, Conv2D, MaxPooling2D, AveragePooling2D,
                BatchNormalization, SimpleRNN, LSTM, Embedding)
}

__all__ = ["Layer", "LAYER_CLASSES", *LAYER_CLASSES]
