"""Tests of minitorch.nn: every function against NumPy, and every gradient element by element.

Gradient checks run on the plain-Python backend (SimpleBackend): the tensors are
small, and the compiled backend is exercised by the forward comparisons, which
run on both backends.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from conv_reference import strided_tensor
from minitorch import ArgumentError, ShapeError, nn
from minitorch.fast_conv import max_pool_backward_kernel, max_pool_kernel
from minitorch.jit import MAX_PIECES
from strategies import BACKENDS, assert_close, gradcheck, tensors

SIMPLE = minitorch.SimpleBackend
backends = pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS.keys())


# ------------------------------------------------------------ NumPy references
def np_tile(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Tiles by explicit loops over output pixels: out[b, c, i, j] = x[b, c, i*kh:, j*kw:] flat."""
    b, c, h, w = x.shape
    out = np.zeros((b, c, h // kh, w // kw, kh * kw))
    for i in range(h // kh):
        for j in range(w // kw):
            out[:, :, i, j, :] = x[:, :, i * kh : (i + 1) * kh, j * kw : (j + 1) * kw].reshape(
                b, c, kh * kw
            )
    return out


def np_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_logsoftmax(x: np.ndarray, dim: int) -> np.ndarray:
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def image_arrays(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random values with no ties, so that max and its gradient are well defined."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) / 7.0 + rng.uniform(0, 0.01, shape)


image_shapes = st.tuples(
    st.integers(1, 2), st.integers(1, 3), st.sampled_from([2, 4, 6]), st.sampled_from([2, 4, 6])
)
kernels = st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2)])


# ------------------------------------------------------------------------ tile
@backends
@given(shape=image_shapes, kernel=kernels, data=st.data())
def test_tile_matches_numpy(backend, shape, kernel, data) -> None:
    x = data.draw(tensors(shape, backend=backend))
    assert_close(nn.tile(x, kernel), np_tile(x.to_numpy(), *kernel))


def test_tile_gradient() -> None:
    gradcheck(lambda x: nn.tile(x, (2, 3)), image_arrays((2, 2, 4, 6), 0), backend=SIMPLE)


# ------------------------------------------------------------------- pooling
def np_pool(
    x: np.ndarray, kernel, stride, padding, dilation, ceil_mode: bool, kind: str, include_pad=True
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's pooling written out per output cell: (values, index of each max in its plane).

    Window cells outside the input are skipped (a max pads with -inf); a NaN
    is a maximum, the first of equal maxima wins; an average divides by the
    window clipped to the padded input (or to the input without include_pad).
    """
    b, c, *sizes = x.shape
    dims = len(sizes)
    outs = []
    for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True):
        o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        outs.append(o)
    out = np.zeros((b, c, *outs))
    where = np.zeros((b, c, *outs), dtype=np.int64)
    for bc in np.ndindex(b, c):
        for pos in np.ndindex(*outs):
            cells = [
                tuple(
                    pp * s - p + kk * d
                    for pp, kk, s, p, d in zip(pos, k, stride, padding, dilation, strict=True)
                )
                for k in np.ndindex(*kernel)
            ]
            inside = [q for q in cells if all(0 <= qq < n for qq, n in zip(q, sizes, strict=True))]
            if kind == "max":
                best, found = -np.inf, None
                for q in inside:
                    v = x[bc + q]
                    if found is None or v > best or np.isnan(v):
                        best, found = v, q
                out[bc + pos] = best
                where[bc + pos] = np.ravel_multi_index(found, sizes)
            else:
                total = sum(x[bc + q] for q in inside)
                if include_pad:
                    count = np.prod(
                        [
                            min(pp * s - p + k, n + p) - (pp * s - p)
                            for pp, k, s, p, n in zip(
                                pos, kernel, stride, padding, sizes, strict=True
                            )
                        ]
                    )
                else:
                    count = len(inside)
                out[bc + pos] = total / count
    del dims
    return out, where


@st.composite
def pool_case(draw: st.DrawFn, dims: int) -> dict:
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))
        for k, d, p in zip(kernel, dilation, padding, strict=True)
    )
    # small integers: ties happen, and so do NaN and -inf
    values = st.sampled_from([-np.inf, np.nan, -1.0, 0.0, 1.0, 2.0, 3.0])
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sizes)
    x = np.array(
        draw(st.lists(values, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    )
    return {
        "x": x.reshape(shape),
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": draw(st.booleans()),
        "include_pad": draw(st.booleans()),
        "order": tuple(draw(st.permutations(range(dims + 2)))),
    }


@backends
@settings(max_examples=40, deadline=None)
@given(case=st.one_of(pool_case(1), pool_case(2)))
def test_max_pool_matches_pytorch_semantics(backend, case) -> None:
    x = strided_tensor(case["x"], case["order"], requires_grad=True, backend=backend)
    dims = x.dims - 2
    pool = nn.max_pool1d if dims == 1 else nn.max_pool2d
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"], case["ceil_mode"])
    out = pool(x, *args)
    expected, where = np_pool(case["x"], *args, kind="max")
    np.testing.assert_array_equal(out.to_numpy(), expected)  # NaN in the same places
    g = np.random.default_rng(0).normal(size=expected.shape)
    out.backward(minitorch.tensor(g, backend=backend))
    grad = np.zeros_like(case["x"])
    planes = grad.reshape(*grad.shape[:2], -1)
    for bc in np.ndindex(*grad.shape[:2]):
        np.add.at(planes[bc], where[bc].ravel(), g[bc].ravel())
    assert x.grad is not None
    assert_close(x.grad, grad, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=40, deadline=None)
@given(case=st.one_of(pool_case(1), pool_case(2)))
def test_max_pool_kernels_equal_the_reference_bit_for_bit(dtype, case) -> None:
    # +inf beside -inf (their sum is NaN, as a NaN's is), and zeros of both signs (ties)
    data = case["x"].copy()
    data[data == 3.0] = np.inf
    data[data == 2.0] = -0.0
    dims = data.ndim - 2
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"], case["ceil_mode"])
    stored = np.ascontiguousarray(data.transpose(case["order"]))
    results = []
    for backend in (SIMPLE, minitorch.FastBackend):
        x = minitorch.tensor(stored, backend=backend, dtype=dtype)
        x = x.permute(*(int(d) for d in np.argsort(case["order"])))
        batched, window, out_size = nn._pool_window(f"max_pool{dims}d", dims, x, *args)
        out, where = backend.max_pool(batched, window, out_size)
        results.append((out.to_numpy().ravel(), where))
    # the parallel kernel itself (launch runs work this small on its one-thread twin)
    out, where = np.empty(len(where), dtype), np.empty(len(where), np.int64)
    shape = np.array(batched.shape[:2] + out_size)
    strides = np.array([shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1])
    max_pool_kernel(out, shape, strides, where, *batched.kernel_args(), *window)
    results.append((out, where))
    (expected, expected_where), *compiled = results
    bits = f"i{np.dtype(dtype).itemsize}"
    for out, where in compiled:
        np.testing.assert_array_equal(where, expected_where)
        # every bit, a NaN's included: both return the window's last NaN itself
        assert out.dtype == expected.dtype == dtype
        np.testing.assert_array_equal(out.view(bits), expected.view(bits))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=40, deadline=None)
@given(case=st.one_of(pool_case(1), pool_case(2)))
def test_max_pool_gradient_kernels_equal_the_reference_bit_for_bit(dtype, case) -> None:
    dims = case["x"].ndim - 2
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"], case["ceil_mode"])
    x = minitorch.tensor(case["x"], backend=SIMPLE, dtype=dtype)
    batched, window, out_size = nn._pool_window(f"max_pool{dims}d", dims, x, *args)
    _, where = SIMPLE.max_pool(batched, window, out_size)
    g = np.random.default_rng(0).normal(size=(*batched.shape[:2], *out_size))
    grads = []
    for backend in (SIMPLE, minitorch.FastBackend):
        d = minitorch.tensor(g, backend=backend, dtype=dtype)
        grads.append(backend.max_pool_backward(d, where, batched.shape).to_numpy())
    # the parallel kernel itself, into planes that are not row-major: [B, H, W, C] storage
    b, c, h, w = batched.shape
    channels_last = np.zeros(b * h * w * c, dtype)
    strides = np.array([h * w * c, 1, w * c, c])
    d = minitorch.tensor(g, dtype=dtype)
    max_pool_backward_kernel(
        channels_last, np.array(batched.shape), strides, *d.kernel_args(), where
    )
    grads.append(channels_last.reshape(b, h, w, c).transpose(0, 3, 1, 2))
    bits = f"i{np.dtype(dtype).itemsize}"
    for grad in grads[1:]:
        np.testing.assert_array_equal(grad.view(bits), grads[0].view(bits))


@backends
@settings(max_examples=40, deadline=None)
@given(case=st.one_of(pool_case(1), pool_case(2)))
def test_avg_pool_matches_pytorch_semantics(backend, case) -> None:
    finite = np.nan_to_num(case["x"], nan=0.5, neginf=-2.0)
    x = strided_tensor(finite, case["order"], backend=backend)
    dims = x.dims - 2
    pool = nn.avg_pool1d if dims == 1 else nn.avg_pool2d
    out = pool(
        x, case["kernel"], case["stride"], case["padding"], case["ceil_mode"], case["include_pad"]
    )
    expected, _ = np_pool(
        finite,
        case["kernel"],
        case["stride"],
        case["padding"],
        (1,) * dims,
        case["ceil_mode"],
        kind="avg",
        include_pad=case["include_pad"],
    )
    assert_close(out, expected, rtol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_over_more_planes_than_pieces(kind: str) -> None:
    # 3 x 50 planes: the compiled kernels cut them into MAX_PIECES pieces of
    # several planes each, which the hypothesis cases above (at most 6) never do.
    assert MAX_PIECES < 3 * 50
    x_np = np.random.default_rng(2).normal(size=(3, 50, 5, 4))
    x = minitorch.tensor(x_np, requires_grad=True)
    args = ((2, 2), (2, 2), (0, 0))
    if kind == "max":
        out = nn.max_pool2d(x, *args)
        expected, where = np_pool(x_np, *args, (1, 1), False, kind="max")
    else:
        out = nn.avg_pool2d(x, *args)
        expected, where = np_pool(x_np, *args, (1, 1), False, kind="avg", include_pad=True)
    assert_close(out, expected, rtol=1e-12)
    out.sum().backward()
    assert x.grad is not None
    if kind == "max":
        grad = np.zeros_like(x_np)
        planes = grad.reshape(3, 50, -1)
        for bc in np.ndindex(3, 50):
            np.add.at(planes[bc], where[bc].ravel(), 1.0)
    else:
        grad = np.zeros_like(x_np)
        grad[:, :, :4, :4] = 0.25  # the last row is in no 2 x 2 window
    assert_close(x.grad, grad, rtol=1e-12)


def test_pool_reference_agrees_with_pytorch_numbers() -> None:
    # Values printed by torch 2.13: F.max_pool1d(x, 2, ceil_mode=True), and
    # F.avg_pool1d(y, 2, padding=1, count_include_pad=False / True).
    x = np.array([[[1.0, 5.0, 2.0, 0.0, 3.0]]])
    assert np_pool(x, (2,), (2,), (0,), (1,), True, "max")[0].tolist() == [[[5.0, 2.0, 3.0]]]
    y = np.array([[[1.0, 2.0, 3.0]]])
    assert np_pool(y, (2,), (2,), (1,), (1,), False, "avg", False)[0].tolist() == [[[1.0, 2.5]]]
    assert np_pool(y, (2,), (2,), (1,), (1,), False, "avg", True)[0].tolist() == [[[0.5, 2.5]]]


def test_avg_pool_gradient() -> None:
    gradcheck(
        lambda x: nn.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        image_arrays((2, 2, 5, 4), 1),
        backend=SIMPLE,
    )
    gradcheck(lambda x: nn.avg_pool1d(x, 2), image_arrays((1, 2, 5), 3), backend=SIMPLE)


def test_max_pool_gradient() -> None:
    gradcheck(
        lambda x: nn.max_pool2d(x, (2, 3), stride=1, padding=1, dilation=(2, 1)),
        image_arrays((2, 2, 4, 6), 2),
        backend=SIMPLE,
    )


def test_max_pool_gradient_goes_to_the_first_maximum() -> None:
    x = minitorch.tensor([[[[1.0, 9.0], [9.0, 4.0]]]], requires_grad=True)
    nn.max_pool2d(x, 2).sum().backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_max_pool_propagates_nan() -> None:
    for row in ([np.nan, 1.0, 2.0], [1.0, 2.0, np.nan], [1.0, np.nan, 2.0]):
        out = nn.max_pool1d(minitorch.tensor([[row]]), 3)
        assert np.isnan(out.item())


def test_adaptive_avg_pool2d_windows() -> None:
    x = np.arange(5 * 7, dtype=float).reshape(1, 1, 5, 7)
    out = nn.adaptive_avg_pool2d(minitorch.tensor(x), (2, 3)).to_numpy()
    # PyTorch's windows: rows [0, 3) and [2, 5); columns [0, 3), [2, 5), [4, 7)
    expected = [
        [x[0, 0, r0:r1, c0:c1].mean() for c0, c1 in ((0, 3), (2, 5), (4, 7))]
        for r0, r1 in ((0, 3), (2, 5))
    ]
    assert_close(out[0, 0], np.array(expected), rtol=1e-12)
    assert nn.adaptive_avg_pool2d(minitorch.tensor(x), 1).item() == pytest.approx(x.mean())
    gradcheck(
        lambda t: nn.adaptive_avg_pool2d(t, (2, 2)), image_arrays((1, 2, 3, 5), 4), backend=SIMPLE
    )


def test_pooling_accepts_unbatched_input() -> None:
    x = minitorch.tensor(image_arrays((2, 4, 4), 5))
    assert nn.max_pool2d(x, 2).shape == (2, 2, 2)
    assert nn.avg_pool1d(x.view(2, 16), 4).shape == (2, 4)


# --------------------------------------------------------------- max, argmax
@backends
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), dim=st.integers(-2, 1), data=st.data()
)
def test_max_and_argmax_match_numpy(backend, shape, dim, data) -> None:
    values = st.integers(-5, 5).map(float)  # small integers: ties happen
    x = data.draw(tensors(shape, backend=backend, values=values))
    a = x.to_numpy()
    largest = a.max(axis=dim, keepdims=True)
    assert_close(nn.max(x, dim), largest)
    assert_close(nn.argmax(x, dim), (a == largest).astype(float))


def test_max_gradient() -> None:
    gradcheck(lambda x: nn.max(x, 1), image_arrays((3, 4), 3), backend=SIMPLE)


def test_argmax_is_a_constant_one_hot_without_ties() -> None:
    x = minitorch.tensor(image_arrays((5, 7), 4), requires_grad=True)
    hot = nn.argmax(x, 1)
    assert hot.sum(1).to_numpy().ravel().tolist() == [1.0] * 5
    assert not hot.requires_grad


# ------------------------------------------------------------------- softmax
@backends
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), dim=st.integers(0, 1), data=st.data()
)
def test_softmax_and_logsoftmax_match_numpy(backend, shape, dim, data) -> None:
    x = data.draw(tensors(shape, backend=backend))
    assert_close(nn.softmax(x, dim), np_softmax(x.to_numpy(), dim))
    assert_close(nn.logsoftmax(x, dim), np_logsoftmax(x.to_numpy(), dim))


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_softmax_gradient(dim) -> None:
    gradcheck(lambda x: nn.softmax(x, dim), image_arrays((2, 3, 4), 5), backend=SIMPLE)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_logsoftmax_gradient(dim) -> None:
    gradcheck(lambda x: nn.logsoftmax(x, dim), image_arrays((2, 3, 4), 6), backend=SIMPLE)


def test_softmax_is_stable_for_large_inputs() -> None:
    x = minitorch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    expected = np_softmax(np.array([[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]), 1)
    assert_close(nn.softmax(x, 1), expected)
    log_expected = np_logsoftmax(np.array([[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]), 1)
    assert_close(nn.logsoftmax(x, 1), log_expected)
    assert np.isfinite(nn.logsoftmax(minitorch.tensor([[0.0, 2000.0]]), 1).to_numpy()).all()


def test_softmax_gradient_is_finite_for_large_inputs() -> None:
    x = minitorch.tensor([[1000.0, 1001.0, 999.0]], requires_grad=True)
    (nn.softmax(x, 1) * minitorch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert x.grad is not None
    p = np_softmax(np.array([[0.0, 1.0, -1.0]]), 1)
    w = np.array([[1.0, 2.0, 3.0]])
    # d/dx_i sum_j w_j p_j = p_i (w_i - sum_j w_j p_j)
    assert_close(x.grad, p * (w - (w * p).sum()))


# ------------------------------------------------------------------- dropout
def test_dropout_eval_mode_and_rate_zero_are_the_identity() -> None:
    x = minitorch.rand((3, 4), seed=0, requires_grad=True)
    assert nn.dropout(x, 0.7, training=False) is x
    assert nn.dropout(x, 0.0) is x


def test_dropout_rate_one_gives_zeros_and_zero_gradient() -> None:
    x = minitorch.rand((3, 4), seed=0, requires_grad=True)
    out = nn.dropout(x, 1.0)
    assert out.to_numpy().tolist() == np.zeros((3, 4)).tolist()
    out.sum().backward()
    assert x.grad is not None and not x.grad.to_numpy().any()


def test_dropout_statistics() -> None:
    # 200,000 Bernoulli(0.7) keeps: the kept share has standard deviation
    # sqrt(0.7 * 0.3 / 2e5) ~ 0.001, so 0.01 is a 10-sigma bound.
    x = minitorch.ones((400, 500))
    out = nn.dropout(x, 0.3, seed=1).to_numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1.0 / 0.7)
    assert abs(out.mean() - 1.0) < 0.015  # inverted scaling keeps the mean


def test_dropout_is_seedable() -> None:
    x = minitorch.ones((10, 10))
    assert_close(nn.dropout(x, 0.5, seed=3), nn.dropout(x, 0.5, seed=3).to_numpy())
    minitorch.manual_seed(4)
    first = nn.dropout(x, 0.5).to_numpy()
    minitorch.manual_seed(4)
    assert_close(nn.dropout(x, 0.5), first)
    assert not np.array_equal(nn.dropout(x, 0.5, seed=5).to_numpy(), first)


def test_dropout_gradient_is_the_mask() -> None:
    x = minitorch.tensor(image_arrays((4, 5), 7), requires_grad=True)
    out = nn.dropout(x, 0.4, seed=2)
    out.sum().backward()
    mask = out.to_numpy() / x.to_numpy()
    assert x.grad is not None
    assert_close(x.grad, mask)
    gradcheck(lambda t: nn.dropout(t, 0.4, seed=2), image_arrays((4, 5), 7), backend=SIMPLE)


# -------------------------------------------------------------------- losses
def np_nll(log_probs: np.ndarray, labels: list[int]) -> float:
    return float(-np.mean([log_probs[b, label] for b, label in enumerate(labels)]))


@backends
def test_nll_loss_and_cross_entropy_match_numpy(backend) -> None:
    logits = image_arrays((6, 4), 8) - 1.0
    labels = [0, 3, 1, 1, 2, 0]
    x = minitorch.tensor(logits, backend=backend)
    log_probs = np_logsoftmax(logits, 1)
    assert nn.nll_loss(minitorch.tensor(log_probs, backend=backend), labels).item() == (
        pytest.approx(np_nll(log_probs, labels), rel=1e-12)
    )
    assert nn.cross_entropy(x, labels).item() == pytest.approx(
        np_nll(log_probs, labels), rel=1e-12
    )
    as_tensor = minitorch.tensor([float(v) for v in labels], backend=backend)
    assert nn.cross_entropy(x, as_tensor).item() == pytest.approx(
        np_nll(log_probs, labels), rel=1e-12
    )


def test_nll_loss_gradient() -> None:
    gradcheck(lambda x: nn.nll_loss(x, [2, 0, 1]), image_arrays((3, 3), 9), backend=SIMPLE)


def test_cross_entropy_gradient() -> None:
    gradcheck(
        lambda x: nn.cross_entropy(x, [1, 0, 3, 3]), image_arrays((4, 4), 10), backend=SIMPLE
    )


def test_cross_entropy_gradient_is_softmax_minus_one_hot() -> None:
    logits = image_arrays((3, 4), 11)
    x = minitorch.tensor(logits, requires_grad=True)
    nn.cross_entropy(x, [3, 1, 0]).backward()
    expected = (np_softmax(logits, 1) - np.eye(4)[[3, 1, 0]]) / 3.0
    assert x.grad is not None
    assert_close(x.grad, expected)


def test_cross_entropy_is_stable_for_large_logits() -> None:
    loss = nn.cross_entropy(minitorch.tensor([[1000.0, 0.0], [0.0, 1000.0]]), [1, 1])
    assert loss.item() == pytest.approx(500.0)


def test_labels_may_be_a_list_an_integer_array_or_a_tensor() -> None:
    logits = minitorch.tensor(image_arrays((3, 4), 12))
    losses = {
        nn.cross_entropy(logits, labels).item()
        for labels in (
            [3, 0, 1],
            np.array([3, 0, 1], dtype=np.int32),
            np.array([3.0, 0.0, 1.0]),
            minitorch.tensor([3.0, 0.0, 1.0]),
        )
    }
    assert len(losses) == 1
    with pytest.raises(
        ArgumentError, match=r"cross_entropy: .*\[0, 4\).*\[4, -1\] at rows \[1, 2\]"
    ):
        nn.cross_entropy(logits, np.array([0, 4, -1]))


def test_one_hot() -> None:
    got = nn.one_hot(minitorch.tensor([2.0, 0.0, 1.0]), 4).to_numpy()
    assert got.tolist() == np.eye(4)[[2, 0, 1]].tolist()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.tile(minitorch.ones((4, 4)), (2, 2)), ShapeError, "4 dimensions"),
        (lambda: nn.max_pool2d(minitorch.ones((4, 4)), 2), ShapeError, r"got shape \(4, 4\)"),
        (lambda: nn.max_pool2d(minitorch.ones((1, 1, 2, 2)), 3), ShapeError, "empty"),
        (lambda: nn.avg_pool2d(minitorch.ones((1, 1, 4, 4)), (0, 2)), ArgumentError, "positive"),
        (lambda: nn.max_pool2d(minitorch.ones((1, 1, 4, 4)), True), ArgumentError, "True"),
        (lambda: nn.max_pool1d(minitorch.ones((1, 1, 4)), 2, stride=0), ArgumentError, "stride"),
        (lambda: nn.max_pool2d(minitorch.ones((1, 1, 4, 4)), 2, padding=2), ArgumentError, "half"),
        (lambda: nn.avg_pool1d(minitorch.ones((1, 1, 4)), (2, 2)), ArgumentError, "1 int"),
        (lambda: nn.max_pool2d([[1.0]], 2), TypeError, "max_pool2d: input must be a Tensor"),
        (lambda: nn.dropout(minitorch.ones(3), 1.5), ArgumentError, r"\[0, 1\], got 1.5"),
        (lambda: nn.dropout(minitorch.ones(3), -0.1), ArgumentError, "got -0.1"),
        (lambda: nn.nll_loss(minitorch.ones((2, 3)), [0, 3]), ArgumentError, r"\[0, 3\).*\[3\]"),
        (lambda: nn.cross_entropy(minitorch.ones((2, 3)), [-1, 0]), ArgumentError, "rows"),
        (lambda: nn.cross_entropy(minitorch.ones((2, 3)), [0.5, 1]), ArgumentError, "whole"),
        (lambda: nn.cross_entropy(minitorch.ones((2, 3)), [0, 1, 2]), ShapeError, "3 labels"),
        (lambda: nn.cross_entropy(minitorch.ones(3), [0]), ShapeError, "batch x classes"),
        (lambda: nn.softmax(minitorch.ones((2, 3)), 2), ShapeError, "dim 2"),
        (lambda: nn.argmax(minitorch.ones((2, 3)), -3), ShapeError, "dim -3"),
    ],
)
def test_bad_input_raises_typed_errors(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()
