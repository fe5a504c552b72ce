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
from .convolution import Padding, conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .errors import ArgumentError, ShapeError
from .tensor import Tensor, from_numpy
from .tensor_data import check_dtype, float32, float64
from .tensor_ops import TensorBackend


class Parameter:
    """A learnable tensor owned by a module: a leaf that requires a gradient.

    The parameter holds its own contiguous copy of the values, so that an
    optimiser can overwrite them in place (:meth:`copy_`).

    >>> from minitorch import tensor
    >>> p = Parameter(tensor([1.0, 2.0]))
    >>> p.value.requires_grad
    True
    >>> p
    Parameter([1.00 2.00])
    """

    def __init__(self, value: Tensor) -> None:
        # A detached contiguous copy: the module's value is a leaf of its own.
        copy = from_numpy(value.to_numpy(), backend=value.backend)
        self.value = copy.requires_grad_(True)

    def copy_(self, values: npt.NDArray[np.float64]) -> None:
        """Overwrite the values in place with an array of the same shape, as ``Tensor.copy_`` in PyTorch.

        No graph is recorded, and a graph that saved the old values refuses to
        run backward (the value's version changes).

        >>> from minitorch import tensor
        >>> p = Parameter(tensor([1.0, 2.0]))
        >>> p.copy_(np.array([3.0, 4.0]))
        >>> p.value
        [3.00 4.00]

        """
        if tuple(values.shape) != self.value.shape:
            raise ShapeError(
                f"Parameter.copy_: values have shape {tuple(values.shape)} but the "
                f"parameter has shape {self.value.shape}"
            )
        storage, _, _ = self.value.kernel_args()
        # The value was built by __init__ as a fresh contiguous tensor, so its
        # storage holds exactly its elements in row-major order.
        assert storage.size == self.value.size
        storage[:] = values.reshape(-1)
        # an in-place write: a graph that saved the old values must not use them
        self.value._tensor.version.bump()

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

    def _convert(self, dtype: np.dtype[Any]) -> None:
        """Hold the values (and a gradient, if there is one) in ``dtype`` from now on."""
        if self.value.dtype == dtype:
            return
        grad = self.value.grad
        self.value = from_numpy(self.value.to_numpy(), self.value.backend, dtype)
        self.value.requires_grad_(True)
        if grad is not None:
            self.value.grad = from_numpy(grad.to_numpy(), grad.backend, dtype)

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

    # ---------------------------------------------------------------- dtypes
    def to(self, dtype: object) -> Module:
        """Convert every parameter (and its gradient) to ``dtype`` in place; returns the module.

        Convert before the optimiser's first step: an optimiser's running
        averages (Adam's, SGD's velocity) are made on that step, in the
        parameters' dtype of the time.

        >>> from minitorch import float32
        >>> Linear(2, 3, seed=0).to(float32).weight.value.dtype
        dtype('float32')
        """
        dtype = check_dtype(f"{type(self).__name__}.to", dtype)
        for parameter in self.parameters():
            parameter._convert(dtype)
        return self

    def float(self) -> Module:
        """Convert every parameter to float32 (``.to(minitorch.float32)``); returns the module."""
        return self.to(float32)

    def double(self) -> Module:
        """Convert every parameter to float64 (``.to(minitorch.float64)``); returns the module."""
        return self.to(float64)

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
    dtype: object,
) -> Tensor:
    # Drawn in float64 and rounded: one seed gives the same network in either dtype.
    bound = 1.0 / math.sqrt(fan_in)
    return from_numpy(generator.uniform(-bound, bound, size=shape), backend=backend, dtype=dtype)


class Linear(Module):
    """A fully connected layer: ``out[b, j] = sum_i input[b, i] * weight[i, j] + bias[j]``.

    Args:
        in_features: the size of each input row.
        out_features: the size of each output row.
        backend: the parameters' backend (the fast one by default).
        seed: a seed for the initial values; otherwise the library's generator is used.
        dtype: the parameters' dtype, float64 by default (as PyTorch's ``dtype``
            argument of its layers).

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
        dtype: object = None,
    ) -> None:
        super().__init__()
        _check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        generator = rng.generator(seed)
        shape = (in_features, out_features)
        self.weight = Parameter(_uniform(generator, shape, in_features, backend, dtype))
        self.bias = Parameter(_uniform(generator, (out_features,), in_features, backend, dtype))

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


class _ConvNd(Module):
    """What the four convolution layers share: settings, PyTorch's initialisation, repr.

    The weight is ``out_channels x in_channels / groups x kernel`` (a
    transposed layer's is ``in_channels x out_channels / groups x kernel``, as in
    PyTorch), the bias has ``out_channels`` numbers, and both start uniform in
    ``+-1 / sqrt(fan_in)`` with ``fan_in`` the weight's second dimension times
    the kernel's size: PyTorch's default (Kaiming uniform with ``a = sqrt(5)``).
    """

    dims: int
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: Padding = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        backend: TensorBackend | None = None,
        seed: int | None = None,
        output_padding: int | tuple[int, ...] = 0,
        dtype: object = None,
    ) -> None:
        super().__init__()
        layer = type(self).__name__
        if output_padding != 0 and not self.transposed:
            raise ArgumentError(f"{layer}: output_padding belongs to transposed layers only")
        _check_sizes(layer, in_channels=in_channels, out_channels=out_channels, groups=groups)
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups != 0:
                raise ArgumentError(f"{layer}: {name} {channels} must divide by groups {groups}")
        kernel = (kernel_size,) * self.dims if isinstance(kernel_size, int) else tuple(kernel_size)
        if len(kernel) != self.dims:
            raise ArgumentError(
                f"{layer}: kernel_size must be an int or {self.dims} ints, got {kernel_size!r}"
            )
        _check_sizes(layer, **{f"kernel_size[{i}]": k for i, k in enumerate(kernel)})
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.output_padding = output_padding
        first, second = (
            (in_channels, out_channels) if self.transposed else (out_channels, in_channels)
        )
        shape = (first, second // groups, *kernel)
        fan_in = shape[1] * math.prod(kernel)
        generator = rng.generator(seed)
        self.weight = Parameter(_uniform(generator, shape, fan_in, backend, dtype))
        self.bias = (
            Parameter(_uniform(generator, (out_channels,), fan_in, backend, dtype))
            if bias
            else None
        )

    def forward(self, input: Tensor) -> Tensor:
        """Map ``batch x in_channels x ...`` to ``batch x out_channels x ...``."""
        convolve = conv1d if self.dims == 1 else conv2d
        return convolve(
            input,
            self.weight.value,
            self._bias(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )

    def _bias(self) -> Tensor | None:
        return None if self.bias is None else self.bias.value

    def extra_repr(self) -> str:
        """Show the settings that differ from PyTorch's defaults, as PyTorch does."""
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        for name, default in (
            ("stride", 1),
            ("padding", 0),
            ("output_padding", 0),
            ("dilation", 1),
            ("groups", 1),
        ):
            value = getattr(self, name)
            if value != default:
                text += f", {name}={value}"
        return text + ("" if self.bias is not None else ", bias=False")


class _ConvTransposeNd(_ConvNd):
    """The transposed layers: PyTorch's argument order (output_padding before groups)."""

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        output_padding: int | tuple[int, ...] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, ...] = 1,
        *,
        backend: TensorBackend | None = None,
        seed: int | None = None,
        dtype: object = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            backend=backend,
            seed=seed,
            output_padding=output_padding,
            dtype=dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        """Map ``batch x in_channels x ...`` to ``batch x out_channels x ...`` (upsampled by the stride)."""
        convolve = conv_transpose1d if self.dims == 1 else conv_transpose2d
        return convolve(
            input,
            self.weight.value,
            self._bias(),
            self.stride,
            self.padding,  # type: ignore[arg-type]
            self.output_padding,
            self.groups,
            self.dilation,
        )


class Conv1d(_ConvNd):
    """A 1D convolution layer: :func:`minitorch.conv1d` with a learnable weight and bias.

    Takes ``torch.nn.Conv1d``'s arguments; ``backend``, ``seed`` and ``dtype``
    (keyword only) choose the parameters' backend, seed their initial values
    and set their dtype (float64 by default).

    >>> from minitorch import ones
    >>> layer = Conv1d(2, 4, 3, padding=1, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((4, 2, 3), (4,))
    >>> layer(ones((5, 2, 10))).shape
    (5, 4, 10)
    >>> layer
    Conv1d(2, 4, kernel_size=(3,), padding=1)

    """

    dims = 1


class Conv2d(_ConvNd):
    """A 2D convolution layer: :func:`minitorch.conv2d` with a learnable weight and bias.

    Takes ``torch.nn.Conv2d``'s arguments; ``backend``, ``seed`` and ``dtype``
    (keyword only) choose the parameters' backend, seed their initial values
    and set their dtype (float64 by default).

    >>> from minitorch import ones
    >>> layer = Conv2d(1, 4, 3, stride=2, padding=1, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((4, 1, 3, 3), (4,))
    >>> layer(ones((2, 1, 8, 8))).shape
    (2, 4, 4, 4)

    """

    dims = 2


class ConvTranspose1d(_ConvTransposeNd):
    """A 1D transposed convolution layer (:func:`minitorch.conv_transpose1d`), as PyTorch's.

    >>> from minitorch import ones
    >>> layer = ConvTranspose1d(4, 2, 4, stride=2, padding=1, seed=0)
    >>> layer.weight.shape, layer(ones((1, 4, 5))).shape
    ((4, 2, 4), (1, 2, 10))

    """

    dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """A 2D transposed convolution layer (:func:`minitorch.conv_transpose2d`), as PyTorch's.

    The upsampling layer of a decoder: stride 2 doubles the height and width.

    >>> from minitorch import ones
    >>> layer = ConvTranspose2d(8, 4, 2, stride=2, seed=0)
    >>> layer.weight.shape, layer(ones((1, 8, 7, 7))).shape
    ((8, 4, 2, 2), (1, 4, 14, 14))

    """

    dims = 2
