"""MiniTorch: strided tensors, reverse-mode autodiff, Numba kernels and convolution.

The names a user needs are re-exported here, each imported by name from the
module that owns it, so ``minitorch.conv1d`` and ``minitorch.convolution.conv1d``
are the same function.
"""

from typing import TYPE_CHECKING, Any

from . import datasets, exercises, nn
from . import tensor as _tensor_module
from .autodiff import Context, History, backpropagate, central_difference, is_grad_enabled, no_grad
from .convolution import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .errors import (
    ArgumentError,
    ArgumentTypeError,
    GradientError,
    IndexingError,
    MiniTorchError,
    ShapeError,
)
from .modules import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Linear, Module, Parameter
from .optim import SGD, Adam
from .rng import manual_seed
from .tensor import (
    SimpleBackend,
    Tensor,
    from_numpy,
    ones,
    rand,
    tensor,
    zeros,
    zeros_like,
)
from .tensor_data import (
    TensorData,
    broadcast_index,
    float32,
    float64,
    index_to_position,
    promote_types,
    shape_broadcast,
    to_index,
)
from .tensor_functions import ConvNd, ConvTransposeNd, Function
from .tensor_ops import SimpleOps, TensorBackend, TensorOps
from .unroll import unroll1d, unroll2d, unroll_channels

if TYPE_CHECKING:
    from .fast_ops import FastOps
    from .tensor import FastBackend


def __getattr__(name: str) -> Any:
    # The Numba backend is loaded on first use (see minitorch.tensor.fast_backend),
    # so `import minitorch` alone does not import Numba.
    if name == "FastOps":
        from .fast_ops import FastOps

        return FastOps
    if name == "FastBackend":
        return _tensor_module.fast_backend()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Adam",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "Linear",
    "Module",
    "Parameter",
    "SGD",
    "datasets",
    "exercises",
    "nn",
    "ConvNd",
    "ConvTransposeNd",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "unroll1d",
    "unroll2d",
    "unroll_channels",
    "ArgumentError",
    "ArgumentTypeError",
    "Context",
    "FastBackend",
    "FastOps",
    "Function",
    "GradientError",
    "History",
    "IndexingError",
    "MiniTorchError",
    "ShapeError",
    "SimpleBackend",
    "SimpleOps",
    "Tensor",
    "TensorBackend",
    "TensorData",
    "TensorOps",
    "backpropagate",
    "broadcast_index",
    "central_difference",
    "float32",
    "float64",
    "from_numpy",
    "index_to_position",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "ones",
    "promote_types",
    "rand",
    "shape_broadcast",
    "tensor",
    "to_index",
    "zeros",
    "zeros_like",
]
