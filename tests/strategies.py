"""Hypothesis strategies shared by the test files: shapes, data, and strided tensors.

``tensors`` draws, besides contiguous tensors, permuted views whose storage is
not in row-major order, so every kernel is exercised on strided access.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

import minitorch
from minitorch import Tensor, TensorBackend

BACKENDS = {
    "simple": minitorch.SimpleBackend,
    "fast": minitorch.FastBackend,
}

small_floats = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, width=64)


@st.composite
def shapes(draw: st.DrawFn, min_dims: int = 1, max_dims: int = 4, max_side: int = 4) -> tuple:
    dims = draw(st.integers(min_dims, max_dims))
    return tuple(draw(st.integers(1, max_side)) for _ in range(dims))


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: tuple[int, ...] | None = None,
    backend: TensorBackend | None = None,
    values: st.SearchStrategy[float] = small_floats,
    allow_permuted: bool = True,
) -> Tensor:
    """A tensor of the given (or a drawn) shape, sometimes a non-contiguous permuted view.

    A permuted view is built by drawing the data in a permuted shape and then
    permuting it back, so the result has the requested shape but transposed strides.
    """
    shape = draw(shapes()) if shape is None else shape
    size = int(np.prod(shape))
    data = draw(st.lists(values, min_size=size, max_size=size))
    dims = len(shape)
    order = list(range(dims))
    if allow_permuted and dims > 1:
        order = draw(st.permutations(range(dims)))
    # Store in the permuted layout, then view it so that it has `shape`.
    stored_shape = tuple(shape[o] for o in order)
    inverse = [order.index(d) for d in range(dims)]
    base = minitorch.tensor(np.array(data).reshape(stored_shape), backend=backend)
    return base.permute(*inverse) if dims > 1 else base


@st.composite
def tensor_pairs(
    draw: st.DrawFn, backend: TensorBackend | None = None, broadcast: bool = True
) -> tuple[Tensor, Tensor]:
    """Two tensors whose shapes broadcast together (some dims of one set to 1 or dropped)."""
    shape = draw(shapes())
    other = list(shape)
    if broadcast:
        for d in range(len(other)):
            if draw(st.booleans()):
                other[d] = 1
        other = other[draw(st.integers(0, len(other) - 1)) :]
    a = draw(tensors(tuple(shape), backend=backend))
    b = draw(tensors(tuple(other), backend=backend))
    if draw(st.booleans()):
        a, b = b, a
    return a, b


def assert_close(actual: Tensor | np.ndarray, expected: np.ndarray, rtol: float = 1e-9) -> None:
    """Element-wise closeness, at float64 precision unless a test says why not."""
    got = actual.to_numpy() if isinstance(actual, Tensor) else np.asarray(actual)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-9)


def numerical_gradient(
    f: Callable[..., float], inputs: list[np.ndarray], index: int, epsilon: float = 1e-6
) -> np.ndarray:
    """Central differences of the scalar ``f(*inputs)`` for every element of ``inputs[index]``."""
    grad = np.zeros_like(inputs[index])
    flat = inputs[index].reshape(-1)
    out = grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + epsilon
        up = f(*inputs)
        flat[i] = keep - epsilon
        down = f(*inputs)
        flat[i] = keep
        out[i] = (up - down) / (2 * epsilon)
    return grad


def gradcheck(
    fn: Callable[..., Tensor],
    *arrays: np.ndarray,
    backend: TensorBackend | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Check every element of the autodiff gradient of ``fn(*tensors).sum()`` against central differences.

    ``fn`` maps tensors to a tensor; the scalar checked is the sum of its output
    weighted by fixed random numbers, so that every output element matters with
    a different weight (a plain sum would hide errors that cancel).
    Tolerances: central differences with eps = 1e-6 carry an error of about
    eps^2 * f''' plus rounding ~1e-10 / eps, far below 1e-5 relative.
    """
    tensors_ = [minitorch.tensor(a, backend=backend, requires_grad=True) for a in arrays]
    out = fn(*tensors_)
    weights_np = np.random.default_rng(7).uniform(0.5, 1.5, size=out.shape)
    weights = minitorch.tensor(weights_np, backend=backend)
    (out * weights).sum().backward()

    def scalar(*xs: np.ndarray) -> float:
        with minitorch.no_grad():
            ts = [minitorch.tensor(x, backend=backend) for x in xs]
            return float((fn(*ts).to_numpy() * weights_np).sum())

    arrays_ = [np.array(a, dtype=np.float64) for a in arrays]
    for i, t in enumerate(tensors_):
        expected = numerical_gradient(scalar, arrays_, i)
        assert t.grad is not None, f"input {i} received no gradient"
        np.testing.assert_allclose(
            t.grad.to_numpy(), expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}"
        )
