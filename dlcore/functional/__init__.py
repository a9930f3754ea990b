"""Differentiable neural-network ops on Tensors, Keras layouts (``import dlcore.functional as F``).

Each op pairs a numba kernel from ``dlcore.kernels`` (the forward) with the kernel of its
derivative (the backward), as one ``Function``. Images are channels-last
``(batch, rows, cols, channels)``; weights have Keras's shapes.
"""

from .activations import log_softmax, relu, sigmoid, softmax, softmax_cross_entropy, tanh
from .conv import conv2d
from .embedding import embedding
from .linear import linear
from .normalization import batch_norm, dropout
from .pooling import avg_pool2d, max_pool2d
from .recurrent import lstm, simple_rnn

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softmax_cross_entropy",
           "linear", "dropout", "batch_norm", "conv2d", "max_pool2d", "avg_pool2d", "lstm",
           "simple_rnn", "embedding"]
