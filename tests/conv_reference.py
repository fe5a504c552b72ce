"""An independent NumPy reference for convolution with every option, and strided test tensors.

Written from the definitions, with explicit zero padding, one slice per kernel
tap and ``einsum``; it shares no code with the kernels under test:

    out[b, g*O + o, t] = sum_{c,k} w[g*O + o, c, k] * x_padded[b, g*C + c, t*s + k*d]

Gradients come from their own formulas: the input's by scattering each
output's gradient back through the same slices (the adjoint), the weight's by
summing window times gradient. The transposed convolution is the input's
gradient run forward, as PyTorch defines it.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

import minitorch
from minitorch import Tensor

Pairs = tuple[tuple[int, int], ...]


def _taps(w: np.ndarray) -> list[tuple[int, ...]]:
    return list(itertools.product(*(range(k) for k in w.shape[2:])))


def _window(k: tuple[int, ...], out_sizes, stride, dilation) -> tuple[slice, ...]:
    """The slices of the padded input that kernel tap ``k`` meets, one per spatial dim."""
    return tuple(
        slice(kk * d, kk * d + s * (n - 1) + 1, s)
        for kk, n, s, d in zip(k, out_sizes, stride, dilation, strict=True)
    )


def out_sizes(x_sizes, w: np.ndarray, stride, padding: Pairs, dilation) -> tuple[int, ...]:
    return tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, (lo, hi), s, d in zip(
            x_sizes, w.shape[2:], padding, stride, dilation, strict=True
        )
    )


def conv(
    x: np.ndarray, w: np.ndarray, stride, padding: Pairs, dilation, groups: int
) -> np.ndarray:
    """The forward convolution (1D or 2D) straight from its definition."""
    xp = np.pad(x, ((0, 0), (0, 0), *padding))
    sizes = out_sizes(x.shape[2:], w, stride, padding, dilation)
    out = np.zeros((x.shape[0], w.shape[0], *sizes))
    c, o = w.shape[1], w.shape[0] // groups
    for g in range(groups):
        for k in _taps(w):
            window = xp[
                (slice(None), slice(g * c, (g + 1) * c), *_window(k, sizes, stride, dilation))
            ]
            out[:, g * o : (g + 1) * o] += np.einsum(
                "bc...,oc->bo...", window, w[(slice(g * o, (g + 1) * o), slice(None), *k)]
            )
    return out


def conv_grads(
    x: np.ndarray, w: np.ndarray, gy: np.ndarray, stride, padding: Pairs, dilation, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """(grad_input, grad_weight) of sum(gy * conv(x, w)), each from its own formula."""
    xp = np.pad(x, ((0, 0), (0, 0), *padding))
    grad_xp = np.zeros_like(xp)
    grad_w = np.zeros_like(w)
    sizes = gy.shape[2:]
    c, o = w.shape[1], w.shape[0] // groups
    for g in range(groups):
        gy_g = gy[:, g * o : (g + 1) * o]
        for k in _taps(w):
            where = (slice(None), slice(g * c, (g + 1) * c), *_window(k, sizes, stride, dilation))
            w_k = w[(slice(g * o, (g + 1) * o), slice(None), *k)]
            grad_xp[where] += np.einsum("bo...,oc->bc...", gy_g, w_k)
            window = xp[where].reshape(*xp[where].shape[:2], -1)
            grad_w[(slice(g * o, (g + 1) * o), slice(None), *k)] = np.einsum(
                "bon,bcn->oc", gy_g.reshape(*gy_g.shape[:2], -1), window
            )
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(padding, x.shape[2:], strict=True))
    return grad_xp[(slice(None), slice(None), *inner)], grad_w


def conv_transpose(
    y: np.ndarray, w: np.ndarray, stride, padding, output_padding, dilation, groups: int
) -> np.ndarray:
    """PyTorch's conv_transpose: the input gradient of the convolution it transposes."""
    sizes = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, k, s, p, d, e in zip(
            y.shape[2:], w.shape[2:], stride, padding, dilation, output_padding, strict=True
        )
    )
    # the convolution x [B, w.shape[1] * groups, sizes] -> y, with padding p on both sides
    # (any extra cells on the far side, from output_padding, are read by no window)
    x = np.zeros((y.shape[0], w.shape[1] * groups, *sizes))
    pairs = tuple((p, p) for p in padding)
    grad_x, _ = conv_grads(x, w, y, stride, pairs, dilation, groups)
    return grad_x


def strided_tensor(
    array: np.ndarray,
    order: tuple[int, ...],
    requires_grad: bool = False,
    backend: minitorch.TensorBackend | None = None,
) -> Tensor:
    """A tensor with ``array``'s values whose storage is laid out in dimension ``order``.

    The data is stored as ``array.transpose(order)`` and permuted back, so the
    tensor has ``array``'s shape but non-row-major strides (unless ``order`` is
    the identity).
    """
    inverse = tuple(int(d) for d in np.argsort(order))
    stored = minitorch.tensor(np.ascontiguousarray(array.transpose(order)), backend=backend)
    view = stored.permute(*inverse).detach()
    return view.requires_grad_(requires_grad)


@st.composite
def conv_case(draw: st.DrawFn, dims: int, transposed: bool = False) -> dict:
    """A small convolution with every option drawn: groups, stride, dilation, padding, bias."""
    groups = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    o = draw(st.integers(1, 3))
    batch = draw(st.integers(1, 3))
    kernel = [draw(st.integers(1, 4)) for _ in range(dims)]
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rank = dims + 2
    case = {
        "groups": groups,
        "stride": stride,
        "dilation": dilation,
        "x_order": tuple(draw(st.permutations(range(rank)))),
        "w_order": tuple(draw(st.permutations(range(rank)))),
        "g_order": tuple(draw(st.permutations(range(rank)))),
        "bias": draw(st.booleans()),
    }
    if transposed:
        sizes = [draw(st.integers(1, 5)) for _ in range(dims)]
        padding = tuple(
            draw(st.integers(0, (k - 1) * d // 2 + 1))
            for k, d in zip(kernel, dilation, strict=True)
        )
        extra = tuple(
            draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
        )
        out = [
            (n - 1) * s - 2 * p + d * (k - 1) + e + 1
            for n, k, s, p, d, e in zip(
                sizes, kernel, stride, padding, dilation, extra, strict=True
            )
        ]
        if min(out) < 1:
            padding = (0,) * dims
        case |= {"padding": padding, "output_padding": extra}
        x = rng.normal(size=(batch, groups * c, *sizes))
        w = rng.normal(size=(groups * c, o, *kernel))
        y = conv_transpose(x, w, stride, padding, extra, dilation, groups)
        return case | {
            "x": x,
            "w": w,
            "b": rng.normal(size=o * groups),
            "g": rng.normal(size=y.shape),
        }
    padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(dims))
    # every input at least as large as the dilated kernel, so the output is not empty
    sizes = [
        draw(st.integers(max(1, d * (k - 1) + 1 - lo - hi), max(1, d * (k - 1) + 1 - lo - hi) + 5))
        for k, d, (lo, hi) in zip(kernel, dilation, padding, strict=True)
    ]
    x = rng.normal(size=(batch, groups * c, *sizes))
    w = rng.normal(size=(groups * o, c, *kernel))
    out = out_sizes(sizes, w, stride, padding, dilation)
    return case | {
        "padding": padding,
        "x": x,
        "w": w,
        "b": rng.normal(size=o * groups),
        "g": rng.normal(size=(batch, groups * o, *out)),
    }
