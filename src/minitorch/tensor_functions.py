"""The primitive differentiable operations, each a forward and a backward side by side.

Only operations that need a gradient of their own are here; everything else
(subtraction, division, mean, softmax, pooling, losses) is composed from them
in :mod:`minitorch.tensor` and :mod:`minitorch.nn`. A ``backward`` receives
the gradient of the output and returns one gradient per tensor input, written
with the library's own operations. Gradients of broadcast inputs are summed
back to each input's shape by the tensor's ``chain_rule``, not here.

Inputs reaching these classes have been validated by the public methods of
:class:`~minitorch.tensor.Tensor`; the kernels they call only compute.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from .autodiff import Context, History, is_grad_enabled
from .fast_conv import conv1d_into, conv2d_into

if TYPE_CHECKING:
    from .tensor import Tensor


class Function(ABC):
    """Base of the differentiable operations: runs ``forward`` and records the graph."""

    @staticmethod
    @abstractmethod
    def forward(ctx: Context, *args: Any) -> Tensor:
        """Compute the result from detached inputs; save what backward needs in ``ctx``."""
        ...

    @staticmethod
    @abstractmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        """Return the gradient for each tensor input, given the output's gradient."""
        ...

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the operation on tensors; plain arguments (a dim, a shape) go by keyword.

        The result records this Function and its inputs when any input
        requires a gradient and recording is enabled.
        """
        need_grad = is_grad_enabled() and any(t.requires_grad for t in inputs)
        ctx = Context(no_grad=not need_grad)
        out = cls.forward(ctx, *(t.detach() for t in inputs), **params)
        if need_grad:
            out.history = History(cls, ctx, inputs)
        return out


# d(-a) = -d
class Neg(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        return a.f.neg_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        return (grad_output.f.neg_map(grad_output),)


# d(1/a) = -d / a^2
class Inv(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.f.inv_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.f.inv_back_zip(a, grad_output),)


# d(a + b) = (d, d)
class Add(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        return a.f.add_zip(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        return grad_output, grad_output


# d(a * b) = (d * b, d * a)
class Mul(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return a.f.mul_zip(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        a, b = ctx.saved_values
        f = grad_output.f
        return f.mul_zip(grad_output, b), f.mul_zip(grad_output, a)


# d sigmoid(a) = d * s * (1 - s)
class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.f.sigmoid_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.f.sigmoid_back_zip(a, grad_output),)


# d relu(a) = d where a > 0, else 0
class ReLU(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.f.relu_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.f.relu_back_zip(a, grad_output),)


# d log(a) = d / a
class Log(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.f.log_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.f.log_back_zip(a, grad_output),)


# d exp(a) = d * exp(a), and exp(a) is the output already computed
class Exp(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        out = a.f.exp_map(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (out,) = ctx.saved_values
        return (grad_output.f.mul_zip(grad_output, out),)


# d sum_dim(a) = d copied along dim: [.., 1, ..] -> [.., n, ..]
class Sum(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, dim: int) -> Tensor:
        ctx.save_for_backward(a.shape)
        return a.f.add_reduce(a, dim)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (shape,) = ctx.saved_values
        return (grad_output.f.id_map(grad_output, grad_output.zeros(shape)),)


# d max_dim(a) = d at the arg-max along dim (shared equally between exact ties)
class Max(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, dim: int) -> Tensor:
        out = a.f.max_reduce(a, dim)
        ctx.save_for_backward(a, out, dim)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        a, out, dim = ctx.saved_values
        f = grad_output.f
        is_max = f.eq_zip(a, out)
        # [.., n, ..] / [.., 1, ..]: the one arg-max (or each of k ties) gets d / k
        share = f.mul_zip(is_max, f.inv_map(f.add_reduce(is_max, dim)))
        return (f.mul_zip(share, grad_output),)


# d permute(a, order) = permute(d, inverse order)
class Permute(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, order: tuple[int, ...]) -> Tensor:
        ctx.save_for_backward(order)
        return a._new(a._tensor.permute(*order))

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (order,) = ctx.saved_values
        inverse = sorted(range(len(order)), key=lambda d: order[d])
        return (grad_output._new(grad_output._tensor.permute(*inverse)),)


# d view(a, shape) = view(d, a.shape); a view shares contiguous storage
class View(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, shape: tuple[int, ...]) -> Tensor:
        ctx.save_for_backward(a.shape)
        return a._reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (shape,) = ctx.saved_values
        return (grad_output.contiguous()._reshape(shape),)


# d copy(a) = d: a contiguous copy changes layout, not values
class Copy(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        return a.f.id_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        return (grad_output,)


# d(a @ b) = (d @ b^T, a^T @ d), transposing the last two dimensions
class MatMul(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return a.f.matrix_multiply(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        a, b = ctx.saved_values
        f = grad_output.f
        return (
            f.matrix_multiply(grad_output, b._transpose()),
            f.matrix_multiply(a._transpose(), grad_output),
        )


# The backward of a convolution is two convolutions: grad_output with the
# channel-swapped weight anchored on the other side, and the input with grad_output.
class Conv1dFun(Function):
    @staticmethod
    def forward(ctx: Context, input: Tensor, weight: Tensor) -> Tensor:
        ctx.save_for_backward(input, weight)
        batch, _, width = input.shape
        out_channels = weight.shape[0]
        # out: [B, I, T] (*) [O, I, K] anchored left -> [B, O, T]
        return conv1d_into(input.zeros((batch, out_channels, width)), input, weight)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        input, weight = ctx.saved_values
        # grad_input[b, i, t] = sum_{o,k} weight[o, i, k] * grad_output[b, o, t - k]
        # grad_input: [B, O, T] (*) [O, I, K] channel-swapped to [I, O, K], anchored right
        #   -> [B, I, T]
        grad_input = conv1d_into(
            input.zeros(input.shape), grad_output, _swap01(weight), reverse=True
        )
        # grad_weight[o, i, k] = sum_{b,t} input[b, i, t + k] * grad_output[b, o, t]
        # grad_weight: [I, B, T] (*) [O, B, T] anchored left, out width K -> [I, O, K],
        #   written through an [I, O, K] view of a contiguous [O, I, K] tensor
        grad_weight = weight.zeros(weight.shape)
        conv1d_into(_swap01(grad_weight), _swap01(input), _swap01(grad_output))
        return grad_input, grad_weight


# The backward of a 2D convolution is two 2D convolutions: grad_output with the
# channel-swapped weight anchored bottom-right, and the input with grad_output.
class Conv2dFun(Function):
    @staticmethod
    def forward(ctx: Context, input: Tensor, weight: Tensor) -> Tensor:
        ctx.save_for_backward(input, weight)
        batch, _, height, width = input.shape
        out_channels = weight.shape[0]
        # out: [B, I, H, W] (*) [O, I, KH, KW] anchored top-left -> [B, O, H, W]
        return conv2d_into(input.zeros((batch, out_channels, height, width)), input, weight)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        input, weight = ctx.saved_values
        # grad_input[b, i, h, w]
        #   = sum_{o,kh,kw} weight[o, i, kh, kw] * grad_output[b, o, h - kh, w - kw]
        # grad_input: [B, O, H, W] (*) [I, O, KH, KW] anchored bottom-right -> [B, I, H, W]
        grad_input = conv2d_into(
            input.zeros(input.shape), grad_output, _swap01(weight), reverse=True
        )
        # grad_weight[o, i, kh, kw]
        #   = sum_{b,h,w} input[b, i, h + kh, w + kw] * grad_output[b, o, h, w]
        # grad_weight: [I, B, H, W] (*) [O, B, H, W] anchored top-left, out KH x KW
        #   -> [I, O, KH, KW], written through a view of a contiguous [O, I, KH, KW] tensor
        grad_weight = weight.zeros(weight.shape)
        conv2d_into(_swap01(grad_weight), _swap01(input), _swap01(grad_output))
        return grad_input, grad_weight


def _swap01(t: Tensor) -> Tensor:
    """Return a view of ``t`` with its first two dimensions exchanged (no copy, no graph)."""
    order = (1, 0, *range(2, t.dims))
    return t._new(t._tensor.permute(*order))
