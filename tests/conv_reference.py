"""An independent NumPy reference for convolution, its gradients, and strided test tensors.

Written from the definitions, with explicit zero padding and ``einsum``; it
shares no code with the kernels under test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import minitorch
from minitorch import Tensor


def conv1d(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """out[b, o, t] = sum_{i,k} w[o, i, k] * x[b, i, t + k], zero past the right edge."""
    batch, in_channels, width = x.shape
    kernel_width = w.shape[2]
    padded = np.concatenate([x, np.zeros((batch, in_channels, kernel_width))], axis=2)
    return sum(
        np.einsum("bit,oi->bot", padded[:, :, k : k + width], w[:, :, k])
        for k in range(kernel_width)
    )


def conv1d_grads(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grad_input, grad_weight) of sum(g * conv1d(x, w)), each from its own formula."""
    batch, in_channels, width = x.shape
    out_channels, _, kernel_width = w.shape
    # grad_input[b, i, t] = sum_{o,k} w[o, i, k] * g[b, o, t - k]
    g_left = np.concatenate([np.zeros((batch, out_channels, kernel_width)), g], axis=2)
    grad_input = sum(
        np.einsum(
            "bot,oi->bit", g_left[:, :, kernel_width - k : kernel_width - k + width], w[:, :, k]
        )
        for k in range(kernel_width)
    )
    # grad_weight[o, i, k] = sum_{b,t} x[b, i, t + k] * g[b, o, t]
    x_right = np.concatenate([x, np.zeros((batch, in_channels, kernel_width))], axis=2)
    grad_weight = np.stack(
        [np.einsum("bit,bot->oi", x_right[:, :, k : k + width], g) for k in range(kernel_width)],
        axis=2,
    )
    return grad_input, grad_weight


def conv2d(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """out[b, o, h, w] = sum_{i,kh,kw} w[o, i, kh, kw] * x[b, i, h + kh, w + kw], zero outside."""
    batch, in_channels, height, width = x.shape
    kernel_height, kernel_width = w.shape[2:]
    padded = np.zeros((batch, in_channels, height + kernel_height, width + kernel_width))
    padded[:, :, :height, :width] = x
    return sum(
        np.einsum(
            "bihw,oi->bohw", padded[:, :, kh : kh + height, kw : kw + width], w[:, :, kh, kw]
        )
        for kh in range(kernel_height)
        for kw in range(kernel_width)
    )


def conv2d_grads(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grad_input, grad_weight) of sum(g * conv2d(x, w)), each from its own formula."""
    batch, in_channels, height, width = x.shape
    out_channels, _, kernel_height, kernel_width = w.shape
    # grad_input[b, i, h, w] = sum_{o,kh,kw} w[o, i, kh, kw] * g[b, o, h - kh, w - kw]
    g_top_left = np.zeros((batch, out_channels, height + kernel_height, width + kernel_width))
    g_top_left[:, :, kernel_height:, kernel_width:] = g
    grad_input = np.zeros_like(x)
    for kh in range(kernel_height):
        for kw in range(kernel_width):
            window = g_top_left[
                :, :, kernel_height - kh : kernel_height - kh + height, kernel_width - kw :
            ][..., :width]
            grad_input += np.einsum("bohw,oi->bihw", window, w[:, :, kh, kw])
    # grad_weight[o, i, kh, kw] = sum_{b,h,w} x[b, i, h + kh, w + kw] * g[b, o, h, w]
    padded = np.zeros((batch, in_channels, height + kernel_height, width + kernel_width))
    padded[:, :, :height, :width] = x
    grad_weight = np.zeros_like(w)
    for kh in range(kernel_height):
        for kw in range(kernel_width):
            window = padded[:, :, kh : kh + height, kw : kw + width]
            grad_weight[:, :, kh, kw] = np.einsum("bihw,bohw->oi", window, g)
    return grad_input, grad_weight


def strided_tensor(
    array: np.ndarray, order: tuple[int, ...], requires_grad: bool = False
) -> Tensor:
    """A tensor with ``array``'s values whose storage is laid out in dimension ``order``.

    The data is stored as ``array.transpose(order)`` and permuted back, so the
    tensor has ``array``'s shape but non-row-major strides (unless ``order`` is
    the identity).
    """
    inverse = tuple(int(d) for d in np.argsort(order))
    stored = minitorch.tensor(np.ascontiguousarray(array.transpose(order)))
    view = stored.permute(*inverse)
    view = view.detach()
    return view.requires_grad_(requires_grad)


@st.composite
def conv_case(draw: st.DrawFn, dims: int) -> dict:
    """Shapes and data of a small convolution: batch 1..3, channels 1..4, kernel 1..size+2."""
    batch = draw(st.integers(1, 3))
    in_channels = draw(st.integers(1, 4))
    out_channels = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 7 if dims == 1 else 5)) for _ in range(dims)]
    kernel = [draw(st.integers(1, s + 2)) for s in sizes]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rank = dims + 2
    return {
        "x": rng.normal(size=(batch, in_channels, *sizes)),
        "w": rng.normal(size=(out_channels, in_channels, *kernel)),
        "x_order": tuple(draw(st.permutations(range(rank)))),
        "w_order": tuple(draw(st.permutations(range(rank)))),
        "g_order": tuple(draw(st.permutations(range(rank)))),
        "g": rng.normal(size=(batch, out_channels, *sizes)),
    }
