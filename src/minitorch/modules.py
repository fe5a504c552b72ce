"""Layers with learnable parameters, arranged in a tree of modules.

A :class:`Module` keeps its :class:`Parameter` objects and its sub-modules in
two dictionaries, filled in automatically when they are assigned as
attributes (``self.conv1 = Conv2d(...)``). Walking that tree gives every
parameter a dotted name (``conv1.weight``) and lets one call switch the whole
network between training and evaluation mode.

Parameter values are initialised uniformly in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``
from the library's seedable generator, where ``fan_in`` is the number of
inputs that feed one output (``in_features`` for :class:`Linear`,
``in_channels * kernel size`` for a convolution), so that every layer's output
starts with a comparable scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from . import rng
from .convolution import conv1d, conv2d
from .errors import ArgumentError, ShapeError
from .tensor import Tensor, from_numpy
from .tensor_ops import TensorBackend


class Parameter:
    """A learnable tensor owned by a module: a leaf that requires a gradient.

    The parameter holds its own contiguous copy of the values, so that an
    optimiser can overwrite them in place (:meth:`update_`).

    >>> from minitorch import tensor
    >>> p = Parameter(tensor([1.0, 2.0]))
    >>> p.value.requires_grad
    True
    >>> p
    Parameter([1.00 2.00])
    """

    def __init__(self, value: Tensor) -> None:
        self.value = value
        self.update(value)

    def update(self, value: Tensor) -> None:
        """Replace the value with a detached contiguous copy of ``value`` that requires a gradient.

        >>> from minitorch import tensor
        >>> p = Parameter(tensor([1.0]))
        >>> p.update(tensor([5.0, 6.0]))
        >>> p.value.shape
        (2,)
        """
        copy = from_numpy(value.to_numpy(), backend=value.backend)
        self.value = copy.requires_grad_(True)

    def update_(self, values: npt.NDArray[np.float64]) -> None:
        """Overwrite the values in place with an array of the same shape; no graph is recorded.

        >>> from minitorch import tensor
        >>> p = Parameter(tensor([1.0, 2.0]))
        >>> p.update_(np.array([3.0, 4.0]))
        >>> p.value
        [3.00 4.00]

        """
        if tuple(values.shape) != self.value.shape:
            raise ShapeError(
                f"Parameter.update_: values have shape {tuple(values.shape)} but the "
                f"parameter has shape {self.value.shape}"
            )
        storage, _, _ = self.value.tuple()
        # The value was built by `update` as a fresh contiguous tensor, so its
        # storage holds exactly its elements in row-major order.
        assert storage.size == self.value.size
        storage[:] = values.reshape(-1)

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated on the value by the last backward passes."""
        return self.value.grad

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.value.grad = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape."""
        return self.value.shape

    def __repr__(self) -> str:
        return f"Parameter({self.value!r})"


class Module:
    """A node of the network tree: parameters, sub-modules and a ``forward``.

    Subclasses call ``super().__init__()`` first, then assign parameters and
    sub-modules as attributes, and define ``forward``; calling the module calls
    ``forward``.

    >>> from minitorch import tensor
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.factor = Parameter(tensor([2.0]))
    ...     def forward(self, x):
    ...         return x * self.factor.value
    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.first = Scale()
    ...         self.second = Scale()
    ...     def forward(self, x):
    ...         return self.second(self.first(x))
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['first.factor', 'second.factor']
    >>> net(tensor([1.0, 3.0]))
    [4.00 12.00]
    >>> net.eval().first.training
    False
    """

    training: bool

    def __init__(self) -> None:
        # Written into __dict__ directly: __setattr__ below needs them to exist.
        self.__dict__["_parameters"] = {}
        self.__dict__["_modules"] = {}
        self.__dict__["training"] = True

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning "
                f"attribute {name!r}"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self.__dict__.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            self.__dict__[name] = value

    def __getattr__(self, name: str) -> Any:
        # Called only when ordinary lookup fails: parameters and sub-modules live here.
        for store in ("_parameters", "_modules"):
            found = self.__dict__.get(store, {})
            if name in found:
                return found[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    # ------------------------------------------------------------------ tree
    def children(self) -> list[Module]:
        """Return the direct sub-modules, in the order they were assigned."""
        return list(self._modules.values())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield this module (named ``prefix``) and its descendants by dotted name, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> list[Module]:
        """Return this module and every descendant, depth first."""
        return [module for _, module in self.named_modules()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """Every parameter of the tree with its dotted name (``conv1.weight``), own ones first."""
        found = []
        for path, module in self.named_modules():
            for name, parameter in module._parameters.items():
                found.append((f"{path}.{name}" if path else name, parameter))
        return found

    def parameters(self) -> list[Parameter]:
        """Every parameter of the tree, in the order of :meth:`named_parameters`."""
        return [parameter for _, parameter in self.named_parameters()]

    def add_parameter(self, name: str, value: Tensor) -> Parameter:
        """Make ``value`` a parameter of this module under ``name`` and return it."""
        parameter = Parameter(value)
        setattr(self, name, parameter)
        return parameter

    # ----------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Put this module and every descendant in training mode (or evaluation, if False)."""
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Put this module and every descendant in evaluation mode (dropout off)."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter of the tree."""
        for parameter in self.parameters():
            parameter.zero_grad()

    # ------------------------------------------------------------- calling
    def forward(self, *inputs: Any) -> Any:
        """Compute the module's output; every layer defines its own."""
        raise TypeError(f"{type(self).__name__} defines no forward(); a Module subclass must")

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run :meth:`forward` on the inputs."""
        return self.forward(*inputs, **kwargs)

    def extra_repr(self) -> str:
        """Describe the layer's settings, shown by ``repr`` after its name."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [head]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


def _check_sizes(layer: str, **sizes: int) -> None:
    for name, size in sizes.items():
        if not isinstance(size, int | np.integer) or size < 1:
            raise ArgumentError(f"{layer}: {name} must be a positive integer, got {size!r}")


def _uniform(
    generator: np.random.Generator,
    shape: tuple[int, ...],
    fan_in: int,
    backend: TensorBackend | None,
) -> Tensor:
    bound = 1.0 / math.sqrt(fan_in)
    return from_numpy(generator.uniform(-bound, bound, size=shape), backend=backend)


class Linear(Module):
    """A fully connected layer: ``out[b, j] = sum_i input[b, i] * weight[i, j] + bias[j]``.

    Args:
        in_features: the size of each input row.
        out_features: the size of each output row.
        backend: the parameters' backend (the fast one by default).
        seed: a seed for the initial values; otherwise the library's generator is used.

    >>> from minitorch import ones
    >>> layer = Linear(3, 2, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((3, 2), (2,))
    >>> layer(ones((4, 3))).shape
    (4, 2)

    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        backend: TensorBackend | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        _check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        generator = rng.generator(seed)
        shape = (in_features, out_features)
        self.weight = Parameter(_uniform(generator, shape, in_features, backend))
        self.bias = Parameter(_uniform(generator, (out_features,), in_features, backend))

    def forward(self, input: Tensor) -> Tensor:
        """Map ``... x in_features`` to ``... x out_features``."""
        if input.dims < 2 or input.shape[-1] != self.in_features:
            raise ShapeError(
                f"Linear: input must be ... x {self.in_features} (batch first), got shape "
                f"{input.shape}"
            )
        return input @ self.weight.value + self.bias.value

    def extra_repr(self) -> str:
        """Show the layer's sizes."""
        return f"in_features={self.in_features}, out_features={self.out_features}"


class Conv1d(Module):
    """A 1D convolution layer with a bias per output channel.

    ``out[b, o, t] = bias[o] + sum_{i,k} weight[o, i, k] * input[b, i, t + k]``,
    anchored left, zero past the end (see :func:`minitorch.conv1d`).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_width: the width ``K`` of each filter.
        backend: the parameters' backend (the fast one by default).
        seed: a seed for the initial values; otherwise the library's generator is used.

    >>> from minitorch import ones
    >>> layer = Conv1d(2, 4, 3, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((4, 2, 3), (4, 1))
    >>> layer(ones((5, 2, 10))).shape
    (5, 4, 10)

    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_width: int,
        backend: TensorBackend | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(
            "Conv1d",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_width=kernel_width,
        )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_width = kernel_width
        generator = rng.generator(seed)
        fan_in = in_channels * kernel_width
        shape = (out_channels, in_channels, kernel_width)
        self.weight = Parameter(_uniform(generator, shape, fan_in, backend))
        # [O, 1] broadcasts against the output [B, O, T].
        self.bias = Parameter(_uniform(generator, (out_channels, 1), fan_in, backend))

    def forward(self, input: Tensor) -> Tensor:
        """Map ``batch x in_channels x width`` to ``batch x out_channels x width``."""
        return conv1d(input, self.weight.value) + self.bias.value

    def extra_repr(self) -> str:
        """Show the layer's sizes."""
        return (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, "
            f"kernel_width={self.kernel_width}"
        )


class Conv2d(Module):
    """A 2D convolution layer with a bias per output channel.

    ``out[b, o, y, x] = bias[o] + sum_{i,u,v} weight[o, i, u, v] * input[b, i, y + u, x + v]``,
    anchored top-left, zero past the bottom and right (see :func:`minitorch.conv2d`).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_height: the height ``KH`` of each filter.
        kernel_width: the width ``KW`` of each filter.
        backend: the parameters' backend (the fast one by default).
        seed: a seed for the initial values; otherwise the library's generator is used.

    >>> from minitorch import ones
    >>> layer = Conv2d(1, 4, 3, 3, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((4, 1, 3, 3), (4, 1, 1))
    >>> layer(ones((2, 1, 8, 8))).shape
    (2, 4, 8, 8)

    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_height: int,
        kernel_width: int,
        backend: TensorBackend | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(
            "Conv2d",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_height=kernel_height,
            kernel_width=kernel_width,
        )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_height = kernel_height
        self.kernel_width = kernel_width
        generator = rng.generator(seed)
        fan_in = in_channels * kernel_height * kernel_width
        shape = (out_channels, in_channels, kernel_height, kernel_width)
        self.weight = Parameter(_uniform(generator, shape, fan_in, backend))
        # [O, 1, 1] broadcasts against the output [B, O, H, W].
        self.bias = Parameter(_uniform(generator, (out_channels, 1, 1), fan_in, backend))

    def forward(self, input: Tensor) -> Tensor:
        """Map ``batch x in_channels x height x width`` to ``batch x out_channels x ...``."""
        return conv2d(input, self.weight.value) + self.bias.value

    def extra_repr(self) -> str:
        """Show the layer's sizes."""
        return (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, "
            f"kernel=({self.kernel_height}, {self.kernel_width})"
        )
