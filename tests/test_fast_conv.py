"""The Numba conv kernels: both anchors, strided storage, any output size, compiled == Python."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from conv_reference import conv_case
from minitorch.fast_conv import (
    _channel_slabs_1d,
    _tensor_conv1d,
    _tensor_conv2d,
    conv1d_into,
    tensor_conv1d,
    tensor_conv2d,
)


def direct(x: np.ndarray, w: np.ndarray, out_sizes: tuple[int, ...], reverse: bool) -> np.ndarray:
    """The kernel's loop, one output at a time: sum_{i,k} w[o, i, k] * x[b, i, t +/- k]."""
    batch, out_channels = x.shape[0], w.shape[0]
    sign = -1 if reverse else 1
    out = np.zeros((batch, out_channels, *out_sizes))
    for b, o, *pos in np.ndindex(*out.shape):
        for i, *taps in np.ndindex(*w.shape[1:]):
            src = tuple(p + sign * k for p, k in zip(pos, taps, strict=True))
            if all(0 <= s < n for s, n in zip(src, x.shape[2:], strict=True)):
                out[(b, o, *pos)] += w[(o, i, *taps)] * x[(b, i, *src)]
    return out


def storage_args(array: np.ndarray, order: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """(storage, shape, strides) of ``array`` kept in memory in dimension ``order``."""
    stored = np.array(array.transpose(order), order="C")  # a copy: kernels write into out
    strides_stored = np.array(stored.strides) // stored.itemsize
    strides = np.zeros(array.ndim, dtype=np.int64)
    strides[list(order)] = strides_stored
    return stored.reshape(-1), np.array(array.shape, dtype=np.int64), strides


def run(kernel, x, w, out_sizes, reverse, x_order, w_order, out_order, start=None):
    """Call a kernel on strided storage; return the output as a NumPy array.

    With ``start`` (an array of the output's shape) the kernel adds to it.
    """
    out_shape = (x.shape[0], w.shape[0], *out_sizes)
    initial = np.zeros(out_shape) if start is None else start
    out_storage, out_shape_arr, out_strides = storage_args(initial, out_order)
    kernel(
        out_storage,
        out_shape_arr,
        out_strides,
        *storage_args(x, x_order),
        *storage_args(w, w_order),
        reverse,
        start is not None,
    )
    return np.lib.stride_tricks.as_strided(
        out_storage, shape=out_shape, strides=tuple(8 * s for s in out_strides)
    ).copy()


@st.composite
def kernel_case(draw: st.DrawFn, dims: int) -> dict:
    case = draw(conv_case(dims))
    # Any output size: the weight-gradient calls use one as small as the kernel.
    case["out_sizes"] = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    case["out_order"] = tuple(draw(st.permutations(range(dims + 2))))
    case["reverse"] = draw(st.booleans())
    return case


@settings(max_examples=30, deadline=None)
@given(kernel_case(dims=1))
def test_conv1d_kernel_matches_the_loop(case: dict) -> None:
    got = run(
        tensor_conv1d,
        case["x"],
        case["w"],
        case["out_sizes"],
        case["reverse"],
        case["x_order"],
        case["w_order"],
        case["out_order"],
    )
    expected = direct(case["x"], case["w"], case["out_sizes"], case["reverse"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(kernel_case(dims=2))
def test_conv2d_kernel_matches_the_loop(case: dict) -> None:
    got = run(
        tensor_conv2d,
        case["x"],
        case["w"],
        case["out_sizes"],
        case["reverse"],
        case["x_order"],
        case["w_order"],
        case["out_order"],
    )
    expected = direct(case["x"], case["w"], case["out_sizes"], case["reverse"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(
    ("plain", "compiled", "x_shape", "w_shape"),
    [
        (_tensor_conv1d, tensor_conv1d, (2, 3, 9), (6, 3, 4)),
        (_tensor_conv2d, tensor_conv2d, (2, 3, 5, 4), (5, 3, 2, 3)),
    ],
)
def test_plain_python_kernel_agrees_with_compiled(
    plain,
    compiled,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    reverse: bool,
) -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=x_shape)
    w = rng.normal(size=w_shape)
    order = tuple(reversed(range(len(x_shape))))
    identity = tuple(range(len(x_shape)))
    args = (x, w, x_shape[2:], reverse, order, identity, identity)
    # Same numbers, summed in a different order by the vectorised loop.
    np.testing.assert_allclose(run(plain, *args), run(compiled, *args), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", [tensor_conv1d, tensor_conv2d])
def test_accumulate_adds_to_out(kernel) -> None:
    rng = np.random.default_rng(6)
    dims = 1 if kernel is tensor_conv1d else 2
    x = rng.normal(size=(2, 3, *[5] * dims))
    w = rng.normal(size=(6, 3, *[2] * dims))
    start = rng.normal(size=(2, 6, *[5] * dims))
    order = tuple(range(dims + 2))
    added = run(kernel, x, w, x.shape[2:], False, order, order, order, start=start)
    expected = direct(x, w, x.shape[2:], False) + start
    np.testing.assert_allclose(added, expected, rtol=1e-12, atol=1e-12)


def test_weight_gradient_split_into_channel_slabs() -> None:
    # A weight gradient whose windows overflow the cache budget is computed in slabs of
    # input channels (here: the batch); the sum must equal the one-pass result.
    rng = np.random.default_rng(8)
    x = rng.normal(size=(16, 40, 600))
    g = rng.normal(size=(16, 3, 600))
    grad_weight = minitorch.zeros((3, 40, 2))
    view = grad_weight.permute(1, 0, 2).detach()
    assert _channel_slabs_1d(view.shape, 600, 16) > 1
    conv1d_into(view, minitorch.tensor(x).permute(1, 0, 2), minitorch.tensor(g).permute(1, 0, 2))
    expected = np.stack(
        [np.einsum("bit,bot->oi", x[:, :, k:], g[:, :, : 600 - k]) for k in range(2)], axis=2
    )
    np.testing.assert_allclose(grad_weight.to_numpy(), expected, rtol=1e-10)


def test_edge_blocks_with_one_channel_and_odd_width() -> None:
    # 1 output channel and an odd width: every block is clamped on both axes.
    x = np.arange(1.0, 8.0).reshape(1, 1, 7)
    w = np.array([[[1.0, -1.0]]])
    got = run(tensor_conv1d, x, w, (7,), False, (0, 1, 2), (0, 1, 2), (0, 1, 2))
    np.testing.assert_array_equal(got.reshape(-1), [-1, -1, -1, -1, -1, -1, 7])
