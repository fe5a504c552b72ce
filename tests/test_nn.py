"""Tests of minitorch.nn: every function against NumPy, and every gradient element by element.

Gradient checks run on the plain-Python backend (SimpleBackend): the tensors are
small, and the compiled backend is exercised by the forward comparisons, which
run on both backends.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import ArgumentError, ShapeError, nn
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
@backends
@given(shape=image_shapes, kernel=kernels, data=st.data())
def test_avgpool_matches_numpy(backend, shape, kernel, data) -> None:
    x = data.draw(tensors(shape, backend=backend))
    expected = np_tile(x.to_numpy(), *kernel).mean(axis=4)
    assert_close(nn.avgpool2d(x, kernel), expected)


@backends
@given(shape=image_shapes, kernel=kernels, data=st.data())
def test_maxpool_matches_numpy(backend, shape, kernel, data) -> None:
    x = data.draw(tensors(shape, backend=backend))
    expected = np_tile(x.to_numpy(), *kernel).max(axis=4)
    assert_close(nn.maxpool2d(x, kernel), expected)


def test_avgpool_gradient() -> None:
    gradcheck(lambda x: nn.avgpool2d(x, (2, 2)), image_arrays((2, 2, 4, 4), 1), backend=SIMPLE)


def test_maxpool_gradient() -> None:
    gradcheck(lambda x: nn.maxpool2d(x, (2, 3)), image_arrays((2, 2, 4, 6), 2), backend=SIMPLE)


def test_maxpool_gradient_goes_to_the_argmax() -> None:
    x = minitorch.tensor([[[[1.0, 9.0], [3.0, 4.0]]]], requires_grad=True)
    nn.maxpool2d(x, (2, 2)).sum().backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


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


def test_one_hot() -> None:
    got = nn.one_hot(minitorch.tensor([2.0, 0.0, 1.0]), 4).to_numpy()
    assert got.tolist() == np.eye(4)[[2, 0, 1]].tolist()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.maxpool2d(minitorch.ones((1, 1, 5, 4)), (2, 2)), ShapeError, "must divide"),
        (lambda: nn.avgpool2d(minitorch.ones((1, 1, 4, 4)), (3, 2)), ShapeError, r"\(3, 2\)"),
        (lambda: nn.tile(minitorch.ones((4, 4)), (2, 2)), ShapeError, "4 dimensions"),
        (lambda: nn.maxpool2d(minitorch.ones((1, 4, 4)), (2, 2)), ShapeError, r"\(1, 4, 4\)"),
        (lambda: nn.avgpool2d(minitorch.ones((1, 1, 4, 4)), (0, 2)), ArgumentError, "positive"),
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
