"""Tests of the fused kernels of a training step: average pooling, cross-entropy, Adam and SGD.

Each compiled kernel (:mod:`minitorch.fast_train`) runs the plain-Python loop of
:mod:`minitorch.tensor_ops` with the same arithmetic in the same order, so the
two backends must agree bit for bit, NaN and infinities included, on
contiguous and permuted inputs. The parallel kernels are also called directly
on small inputs, since :func:`minitorch.jit.launch` would run small work on
their one-thread twins. Independent oracles (NumPy formulas, the compositions
the fused Functions replace, numbers printed by PyTorch) check what both
compute, and central differences check every gradient element.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from conv_reference import strided_tensor
from minitorch import GradientError, nn
from minitorch import fast_train as ft
from minitorch.modules import Parameter
from minitorch.optim import SGD, Adam
from minitorch.tensor_ops import AdamStep, PoolWindow, SGDStep
from strategies import gradcheck
from test_nn import np_pool, pool_case

FAST = minitorch.FastBackend
SIMPLE = minitorch.SimpleBackend
both = pytest.mark.parametrize("backend", [SIMPLE, FAST], ids=["simple", "fast"])

# Finite numbers mostly; now and then a value that must propagate as PyTorch's does.
special = st.sampled_from([np.nan, -np.inf, np.inf, 1e308, -1e308, 0.0, -0.0])
numbers = st.one_of(
    st.floats(-30.0, 30.0, allow_nan=False, width=64), st.floats(-30.0, 30.0), special
)


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal bit for bit: the same numbers, NaN in the same places, zeros of the same sign.

    (The sign of a NaN carries nothing: a NaN's bits are not compared.)
    """
    np.testing.assert_array_equal(actual, expected)
    numbers = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(actual[numbers]), np.signbit(expected[numbers]))


# ------------------------------------------------------------------ cross-entropy
@st.composite
def logits_case(draw: st.DrawFn, values: st.SearchStrategy[float] = numbers) -> dict:
    batch, classes = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    data = draw(st.lists(values, min_size=batch * classes, max_size=batch * classes))
    return {
        "logits": np.array(data, dtype=np.float64).reshape(batch, classes),
        "labels": np.array(
            draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))
        ),
        "order": tuple(draw(st.permutations(range(2)))),
    }


def np_log_softmax(x: np.ndarray) -> np.ndarray:
    """The oracle: ``x - m - log(sum(exp(x - m)))`` row by row, with NumPy's own exp and log."""
    with np.errstate(all="ignore"):
        m = x.max(axis=1, keepdims=True)
        return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


@settings(max_examples=80, deadline=None)
@given(case=logits_case())
def test_cross_entropy_kernels_agree_and_match_numpy(case) -> None:
    labels, logits = case["labels"], case["logits"]
    batch = len(labels)
    results = {}
    for name, backend in (("simple", SIMPLE), ("fast", FAST)):
        x = strided_tensor(logits, case["order"], backend=backend)
        probs, loss = backend.cross_entropy(x, labels)
        grad = backend.cross_entropy_backward(probs, labels, 0.75 / batch)
        results[name] = (probs.to_numpy(), loss.to_numpy(), grad.to_numpy())
    for simple, fast in zip(results["simple"], results["fast"], strict=True):
        assert_same(fast, simple)
    probs, loss, grad = results["fast"]
    # NumPy sums a row in another order (pairwise, vectorised): equal to rounding.
    expected = np_log_softmax(logits)
    with np.errstate(all="ignore"):
        expected_probs = np.exp(expected)
    np.testing.assert_allclose(probs, expected_probs, rtol=1e-12, atol=1e-300)
    picked = -expected[np.arange(batch), labels]
    np.testing.assert_allclose(loss, [picked.mean()], rtol=1e-12)
    expected_grad = (expected_probs - np.eye(logits.shape[1])[labels]) * (0.75 / batch)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_parallel_kernels_agree_with_the_loop() -> None:
    # launch() runs small work on one thread: call the prange kernels themselves.
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 5)) * 10
    logits[2, 1], logits[4, :] = -np.inf, np.nan
    labels = rng.integers(0, 5, size=7)
    x = strided_tensor(logits, (1, 0), backend=FAST)
    probs, losses = np.empty(35), np.empty(7)
    ft.cross_entropy_kernel(probs, losses, *x.kernel_args(), labels)
    reference, _ = SIMPLE.cross_entropy(strided_tensor(logits, (1, 0), backend=SIMPLE), labels)
    assert_same(probs, reference.to_numpy().ravel())
    grad = np.empty(35)
    ft.cross_entropy_backward_kernel(grad, probs, 5, labels, 0.5)
    expected = SIMPLE.cross_entropy_backward(reference, labels, 0.5)
    assert_same(grad, expected.to_numpy().ravel())


@both
@settings(max_examples=30, deadline=None)
@given(case=logits_case(st.floats(-30.0, 30.0, allow_nan=False, width=64)))
def test_cross_entropy_equals_the_composition_it_replaces(backend, case) -> None:
    labels = case["labels"]
    fused = strided_tensor(case["logits"], case["order"], requires_grad=True, backend=backend)
    composed = strided_tensor(case["logits"], case["order"], requires_grad=True, backend=backend)
    loss = nn.cross_entropy(fused, labels)
    reference = nn.nll_loss(nn.logsoftmax(composed, 1), labels)
    np.testing.assert_allclose(loss.to_numpy(), reference.to_numpy(), rtol=1e-12)
    (loss * 3.0).backward()
    (reference * 3.0).backward()
    assert fused.grad is not None and composed.grad is not None
    np.testing.assert_allclose(fused.grad.to_numpy(), composed.grad.to_numpy(), atol=1e-14)


@both
def test_cross_entropy_gradient_by_central_differences(backend) -> None:
    logits = np.random.default_rng(1).normal(size=(5, 4)) * 3
    gradcheck(lambda x: nn.cross_entropy(x, [3, 0, 0, 2, 1]), logits, backend=backend)


def test_cross_entropy_propagates_nan_and_inf_as_pytorch() -> None:
    # Losses and gradients printed by torch 2.13 (F.cross_entropy, one row each).
    cases = [
        (
            [0.0, -np.inf, 1.0],
            0,
            1.3132616875182228,
            [-0.7310585786300049, 0.0, 0.7310585786300049],
        ),
        ([0.0, -np.inf, 1.0], 1, np.inf, [0.2689414213699951, -1.0, 0.7310585786300049]),
        ([-np.inf, -np.inf], 0, np.nan, [np.nan, np.nan]),
        ([np.inf, 0.0], 1, np.nan, [np.nan, np.nan]),
        ([np.nan, 0.0], 1, np.nan, [np.nan, np.nan]),
        ([1e308, -1e308], 1, np.inf, [1.0, -1.0]),
    ]
    for backend in (SIMPLE, FAST):
        for row, label, loss, grad in cases:
            x = minitorch.tensor([row], backend=backend, requires_grad=True)
            out = nn.cross_entropy(x, [label])
            out.backward()
            assert x.grad is not None
            np.testing.assert_allclose(out.to_numpy(), [loss], rtol=1e-15)
            np.testing.assert_allclose(x.grad.to_numpy(), [grad], rtol=1e-15)


@both
def test_cross_entropy_of_an_empty_batch_is_nan(backend) -> None:
    x = minitorch.zeros((0, 3), backend=backend).requires_grad_(True)
    loss = nn.cross_entropy(x, [])
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad is not None and x.grad.shape == (0, 3)


# ------------------------------------------------------------------ average pooling
def np_avg_pool_backward(
    grad_output: np.ndarray, shape, kernel, stride, padding, include_pad: bool
) -> np.ndarray:
    """The oracle: each output's gradient over its window's count, added to the window's cells."""
    grad = np.zeros(shape)
    sizes = shape[2:]
    for pos in np.ndindex(*grad_output.shape[2:]):
        starts = [q * s - p for q, s, p in zip(pos, stride, padding, strict=True)]
        stops = [
            min(a + k, n + p) for a, k, n, p in zip(starts, kernel, sizes, padding, strict=True)
        ]
        window = tuple(
            slice(max(a, 0), min(b, n)) for a, b, n in zip(starts, stops, sizes, strict=True)
        )
        clipped = [w.stop - w.start for w in window]
        count = np.prod(
            [b - a for a, b in zip(starts, stops, strict=True)] if include_pad else clipped
        )
        grad[(slice(None), slice(None), *window)] += (
            grad_output[(slice(None), slice(None), *pos)][..., *([None] * len(sizes))] / count
        )
    return grad


@settings(max_examples=60, deadline=None)
@given(case=st.one_of(pool_case(1), pool_case(2)))
def test_avg_pool_kernels_agree_and_match_numpy(case) -> None:
    dims = case["x"].ndim - 2
    pool = nn.avg_pool1d if dims == 1 else nn.avg_pool2d
    args = (
        case["kernel"],
        case["stride"],
        case["padding"],
        case["ceil_mode"],
        case["include_pad"],
    )
    results = {}
    for name, backend in (("simple", SIMPLE), ("fast", FAST)):
        x = strided_tensor(case["x"], case["order"], requires_grad=True, backend=backend)
        out = pool(x, *args)
        g = np.random.default_rng(0).normal(size=out.shape)
        out.backward(minitorch.tensor(g, backend=backend))
        assert x.grad is not None
        results[name] = (out.to_numpy(), x.grad.to_numpy())
    for simple, fast in zip(results["simple"], results["fast"], strict=True):
        assert_same(fast, simple)
    out, grad = results["fast"]
    expected, _ = np_pool(
        case["x"], case["kernel"], case["stride"], case["padding"], (1,) * dims,
        case["ceil_mode"], kind="avg", include_pad=case["include_pad"],
    )  # fmt: skip
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    expected_grad = np_avg_pool_backward(
        g, case["x"].shape, case["kernel"], case["stride"], case["padding"], case["include_pad"]
    )
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_avg_pool_parallel_kernels_agree_with_the_loop() -> None:
    rng = np.random.default_rng(2)
    data = rng.normal(size=(3, 5, 7, 6))
    data[0, 1, 2, 3], data[2, 4, 0, 0] = np.nan, -np.inf
    window = PoolWindow((3, 2), (2, 1), (1, 1), (1, 1))
    x = strided_tensor(data, (0, 2, 1, 3), backend=FAST)
    expected = SIMPLE.avg_pool(
        strided_tensor(data, (0, 2, 1, 3), backend=SIMPLE), window, (4, 7), False
    )
    out = np.empty(expected.size)
    shape, strides = np.array(expected.shape), np.array([140, 28, 7, 1])
    ft.avg_pool_kernel(out, shape, strides, *x.kernel_args(), *window[:3], False)
    assert_same(out, expected.to_numpy().ravel())
    g = minitorch.tensor(rng.normal(size=expected.shape), backend=SIMPLE)
    expected_grad = SIMPLE.avg_pool_backward(g, window, data.shape, True)
    grad = np.zeros(data.size)
    ft.avg_pool_backward_kernel(
        grad, np.array(data.shape), np.array([210, 42, 6, 1]), *g.kernel_args(), *window[:3], True
    )
    assert_same(grad, expected_grad.to_numpy().ravel())


def test_avg_pool_gradient_by_central_differences_on_the_fast_backend() -> None:
    data = np.random.default_rng(3).normal(size=(2, 3, 5, 4))
    gradcheck(
        lambda x: nn.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), data, backend=FAST
    )
    gradcheck(
        lambda x: nn.avg_pool2d(x, (2, 3), padding=(1, 1), count_include_pad=False),
        data,
        backend=FAST,
    )


# ------------------------------------------------------------------ optimisers
@st.composite
def update_case(draw: st.DrawFn) -> dict:
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    size = rows * cols
    value = np.array(draw(st.lists(numbers, min_size=size, max_size=size))).reshape(rows, cols)
    grads = [
        np.array(draw(st.lists(numbers, min_size=size, max_size=size))).reshape(rows, cols)
        for _ in range(3)
    ]
    return {"value": value, "grads": grads, "transposed": draw(st.booleans())}


def _grad(
    array: np.ndarray, transposed: bool, backend: minitorch.TensorBackend
) -> minitorch.Tensor:
    """The gradient as a tensor, a transposed (not row-major) view when asked."""
    return strided_tensor(array, (1, 0) if transposed else (0, 1), backend=backend)


def np_adam(value, grads, lr, beta1, beta2, eps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The oracle: the NumPy formula of the Adam docstring, step after step."""
    value, mean, square = value.copy(), np.zeros_like(value), np.zeros_like(value)
    with np.errstate(all="ignore"):
        for t, grad in enumerate(grads, start=1):
            mean = beta1 * mean + (1.0 - beta1) * grad
            square = beta2 * square + (1.0 - beta2) * grad * grad
            value = value - lr * (mean / (1.0 - beta1**t)) / (
                np.sqrt(square / (1.0 - beta2**t)) + eps
            )
    return value, mean, square


@settings(max_examples=60, deadline=None)
@given(case=update_case())
def test_adam_kernels_agree_and_match_numpy(case) -> None:
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    results = {}
    for name, backend in (("simple", SIMPLE), ("fast", FAST)):
        value = minitorch.tensor(case["value"], backend=backend)
        mean, square = value.zeros(), value.zeros()
        for t, grad in enumerate(case["grads"], start=1):
            settings_ = AdamStep(lr, beta1, beta2, eps, 1.0 - beta1**t, 1.0 - beta2**t)
            backend.adam_step(
                value, _grad(grad, case["transposed"], backend), mean, square, settings_
            )
        results[name] = (value.to_numpy(), mean.to_numpy(), square.to_numpy())
    for simple, fast in zip(results["simple"], results["fast"], strict=True):
        assert_same(fast, simple)
    # The same operations in the same order, each correctly rounded: equal exactly.
    expected = np_adam(case["value"], case["grads"], lr, beta1, beta2, eps)
    for got, want in zip(results["fast"], expected, strict=True):
        assert_same(got, want)


def np_sgd(value, grads, lr, momentum) -> tuple[np.ndarray, np.ndarray | None]:
    """The oracle: PyTorch's SGD with momentum (the velocity starts at the first gradient)."""
    value, velocity = value.copy(), None
    with np.errstate(all="ignore"):
        for grad in grads:
            step = grad
            if momentum:
                step = grad if velocity is None else momentum * velocity + grad
                velocity = step
            value = value - lr * step
    return value, velocity


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@settings(max_examples=40, deadline=None)
@given(case=update_case())
def test_sgd_kernels_agree_and_match_numpy(momentum, case) -> None:
    results = {}
    for name, backend in (("simple", SIMPLE), ("fast", FAST)):
        value = minitorch.tensor(case["value"], backend=backend)
        velocity = value.zeros() if momentum else None
        for t, grad in enumerate(case["grads"]):
            step = SGDStep(0.1, momentum, t == 0)
            backend.sgd_step(value, _grad(grad, case["transposed"], backend), velocity, step)
        results[name] = (value.to_numpy(), None if velocity is None else velocity.to_numpy())
    assert_same(results["fast"][0], results["simple"][0])
    value, velocity = np_sgd(case["value"], case["grads"], 0.1, momentum)
    assert_same(results["fast"][0], value)
    if momentum:
        assert_same(results["fast"][1], results["simple"][1])
        assert_same(results["fast"][1], velocity)


def test_optimiser_parallel_kernels_agree_with_the_loop() -> None:
    # More than one segment, so that the prange loop splits the parameter.
    rng = np.random.default_rng(4)
    size = 2 * ft.SEGMENT + 5
    start, grad = rng.normal(size=size), rng.normal(size=size)
    grad[:3] = [np.nan, np.inf, -np.inf]
    adam = AdamStep(0.01, 0.9, 0.999, 1e-8, 0.1, 0.001)
    fast = [start.copy(), np.full(size, 0.5), np.full(size, 2.0)]
    ft.adam_kernel(fast[0], grad, fast[1], fast[2], *adam)
    value = minitorch.tensor(start, backend=SIMPLE)
    mean, square = (minitorch.tensor(np.full(size, v), backend=SIMPLE) for v in (0.5, 2.0))
    SIMPLE.adam_step(value, minitorch.tensor(grad, backend=SIMPLE), mean, square, adam)
    for got, want in zip(fast, (value, mean, square), strict=True):
        assert_same(got, want.to_numpy())
    moving, velocity = start.copy(), np.full(size, 3.0)
    ft.sgd_kernel(moving, grad, velocity, 0.1, 0.9, False)
    value = minitorch.tensor(start, backend=SIMPLE)
    expected_velocity = minitorch.tensor(np.full(size, 3.0), backend=SIMPLE)
    SIMPLE.sgd_step(
        value, minitorch.tensor(grad, backend=SIMPLE), expected_velocity, SGDStep(0.1, 0.9, False)
    )
    assert_same(moving, value.to_numpy())
    assert_same(velocity, expected_velocity.to_numpy())


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps)])
@both
def test_optimiser_updates_in_place_and_bumps_the_version_once(backend, make) -> None:
    parameter = Parameter(minitorch.tensor([[1.0, -2.0], [3.0, 0.5]], backend=backend))
    storage = parameter.value.kernel_args()[0]
    saved = parameter.value * parameter.value  # a graph that saved the old values
    (parameter.value * 2.0).sum().backward()
    before = parameter.value.version
    make([parameter]).step()
    assert parameter.value.version == before + 1
    assert parameter.value.kernel_args()[0] is storage  # the same storage, written in place
    with pytest.raises(GradientError, match="modified in place"):
        saved.sum().backward()
