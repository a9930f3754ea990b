"""dlcore: learn deep learning by building it.

Low level: ``dlcore.tensor`` makes a ``Tensor`` with reverse-mode autodiff,
``dlcore.gradcheck`` checks a backward against finite differences.
"""

from .autograd import is_grad_enabled, no_grad
from .gradcheck import gradcheck
from .tensor import Tensor, tensor

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "no_grad", "is_grad_enabled", "gradcheck", "__version__"]
