"""Every tensor operation against NumPy on both backends, and gradients against central differences."""

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import Tensor
from minitorch.errors import ArgumentError, IndexingError, ShapeError
from strategies import BACKENDS, assert_close, gradcheck, shapes, tensor_pairs, tensors

backend_names = pytest.mark.parametrize("name", list(BACKENDS))

UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray]]] = {
    "neg": (lambda t: -t, lambda a: -a),
    "exp": (lambda t: t.exp(), np.exp),
    "log": (lambda t: (t * t + 1.0).log(), lambda a: np.log(a * a + 1.0)),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0.0)),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1.0 / (1.0 + np.exp(-a))),
    "inv": (lambda t: 1.0 / (t * t + 1.0), lambda a: 1.0 / (a * a + 1.0)),
    "scalar_ops": (lambda t: 2.0 - t * 3.0 + 1.5, lambda a: 2.0 - a * 3.0 + 1.5),
    "sum": (lambda t: t.sum(), lambda a: np.array([a.sum()])),
    "sum_dim0": (lambda t: t.sum(0), lambda a: a.sum(0, keepdims=True)),
    "mean": (lambda t: t.mean(), lambda a: np.array([a.mean()])),
    "mean_last": (lambda t: t.mean(t.dims - 1), lambda a: a.mean(-1, keepdims=True)),
    "max_last": (lambda t: t.max(t.dims - 1), lambda a: a.max(-1, keepdims=True)),
    "max_all": (lambda t: t.max(), lambda a: np.array([a.max()])),
    "permute": (
        lambda t: t.permute(*reversed(range(t.dims))),
        lambda a: a.transpose(*reversed(range(a.ndim))),
    ),
    "contiguous_view": (
        lambda t: t.contiguous().view(t.size),
        lambda a: a.reshape(-1),
    ),
}

BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[..., np.ndarray]]] = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
}


@backend_names
@pytest.mark.parametrize("op", list(UNARY))
def test_unary_matches_numpy(name: str, op: str) -> None:
    fn, reference = UNARY[op]

    @given(tensors(backend=BACKENDS[name]))
    def check(t: Tensor) -> None:
        assert_close(fn(t), reference(t.to_numpy()))

    check()


@backend_names
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_broadcast_matches_numpy(name: str, op: str) -> None:
    fn, reference = BINARY[op]

    @given(tensor_pairs(backend=BACKENDS[name]))
    def check(pair: tuple[Tensor, Tensor]) -> None:
        a, b = pair
        assert_close(fn(a, b), reference(a.to_numpy(), b.to_numpy()))

    check()


@backend_names
def test_comparisons_match_numpy(name: str) -> None:
    @given(tensor_pairs(backend=BACKENDS[name]))
    def check(pair: tuple[Tensor, Tensor]) -> None:
        a, b = pair
        x, y = a.to_numpy(), b.to_numpy()
        assert_close(a < b, (x < y).astype(float))
        assert_close(a > b, (x > y).astype(float))
        assert_close(a == b, (x == y).astype(float))
        assert_close(a.is_close(a), np.ones(a.shape))

    check()


@backend_names
def test_all(name: str) -> None:
    b = BACKENDS[name]
    assert minitorch.tensor([[1.0, 2.0], [3.0, 0.0]], backend=b).all().item() == 0.0
    assert minitorch.tensor([[1.0, 2.0], [3.0, 4.0]], backend=b).all().item() == 1.0
    assert_close(minitorch.tensor([[1.0, 0.0], [3.0, 4.0]], backend=b).all(1), [[0.0], [1.0]])


@backend_names
def test_matmul_matches_numpy_with_batch_broadcasting(name: str) -> None:
    backend = BACKENDS[name]

    @given(st.data())
    def check(data: st.DataObject) -> None:
        n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
        batch = data.draw(shapes(min_dims=0, max_dims=2, max_side=3))
        a_batch = tuple(1 if data.draw(st.booleans()) else s for s in batch)
        a = data.draw(tensors((*a_batch, n, k), backend=backend))
        b = data.draw(tensors((*batch, k, m), backend=backend))
        assert_close(a @ b, a.to_numpy() @ b.to_numpy())

    check()


@backend_names
@pytest.mark.parametrize("op", list(UNARY))
def test_unary_gradients(name: str, op: str) -> None:
    fn, _ = UNARY[op]
    rng = np.random.default_rng(0)
    # Keep away from relu's kink and from ties of max, where no derivative exists.
    x = rng.uniform(0.2, 2.0, size=(2, 3, 2)) * rng.choice([-1.0, 1.0], size=(2, 3, 2))
    gradcheck(fn, x, backend=BACKENDS[name])
    gradcheck(lambda t: fn(t.permute(2, 0, 1)), x, backend=BACKENDS[name])


@backend_names
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_gradients_with_broadcasting(name: str, op: str) -> None:
    fn, _ = BINARY[op]
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3, 4))
    b = rng.normal(size=(3, 1))
    gradcheck(fn, a, b, backend=BACKENDS[name])
    gradcheck(fn, b, a, backend=BACKENDS[name])


@backend_names
def test_matmul_gradients(name: str) -> None:
    rng = np.random.default_rng(2)
    gradcheck(
        lambda a, b: a @ b,
        rng.normal(size=(3, 4)),
        rng.normal(size=(4, 2)),
        backend=BACKENDS[name],
    )
    gradcheck(
        lambda a, b: a @ b,
        rng.normal(size=(2, 3, 4)),
        rng.normal(size=(4, 5)),
        backend=BACKENDS[name],
    )
    gradcheck(
        lambda a, b: a @ b,
        rng.normal(size=(1, 3, 4)),
        rng.normal(size=(2, 4, 5)),
        backend=BACKENDS[name],
    )


@backend_names
def test_view_and_permute_gradients(name: str) -> None:
    rng = np.random.default_rng(3)
    gradcheck(
        lambda t: t.view(3, 2) * t.view(3, 2), rng.normal(size=(2, 3)), backend=BACKENDS[name]
    )
    gradcheck(
        lambda t: t.permute(1, 0).contiguous().view(6) * 2.0,
        rng.normal(size=(2, 3)),
        backend=BACKENDS[name],
    )


def test_max_gradient_goes_to_the_arg_max() -> None:
    x = minitorch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    x.max(1).sum().backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_backends_agree() -> None:
    @given(st.data())
    def check(data: st.DataObject) -> None:
        shape = data.draw(shapes())
        values = np.array(
            data.draw(
                st.lists(
                    st.floats(-5, 5), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))
                )
            )
        ).reshape(shape)
        results = []
        for backend in BACKENDS.values():
            t = minitorch.tensor(values, backend=backend)
            results.append(
                ((t * t).exp().sum(0) / 3.0 - t.relu().max(t.dims - 1).mean()).to_numpy()
            )
        np.testing.assert_allclose(results[0], results[1], rtol=1e-12)

    check()


def test_creation_and_conversion() -> None:
    t = minitorch.tensor([[1, 2, 3], [4, 5, 6]])
    assert t.shape == (2, 3) and t.size == 6 and t.dims == 2
    assert t[1, 2] == 6.0
    t[1, 2] = 9.0
    assert t.to_numpy().tolist() == [[1, 2, 3], [4, 5, 9]]
    assert minitorch.zeros((2, 2)).to_numpy().sum() == 0.0
    assert minitorch.ones(3).to_numpy().tolist() == [1.0, 1.0, 1.0]
    assert minitorch.from_numpy(np.arange(6.0).reshape(2, 3)).shape == (2, 3)
    assert minitorch.zeros_like(t).shape == (2, 3)
    assert t.zeros_like().shape == (2, 3)


def test_rand_is_seedable() -> None:
    a = minitorch.rand((3, 4), seed=5).to_numpy()
    b = minitorch.rand((3, 4), seed=5).to_numpy()
    assert (a == b).all() and ((a >= 0) & (a < 1)).all()
    minitorch.manual_seed(11)
    c = minitorch.rand((3, 4)).to_numpy()
    minitorch.manual_seed(11)
    assert (c == minitorch.rand((3, 4)).to_numpy()).all()


def test_the_books_opening_runs() -> None:
    backend = minitorch.TensorBackend(minitorch.FastOps)
    x = minitorch.tensor([1, 2, 3, 4, 5, 6], backend=backend)
    assert (
        str(x.view(2, 3).permute(1, 0)) == "[\n    [1.00 4.00]\n    [2.00 5.00]\n    [3.00 6.00]]"
    )
    assert minitorch.rand((2, 3), backend=backend).backend is backend


def test_bad_input_raises_clear_typed_errors() -> None:
    a = minitorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(
        ShapeError, match=r"add: broadcast: shapes \(2, 3\) and \(2,\) do not broadcast"
    ):
        a + minitorch.tensor([1.0, 2.0])
    with pytest.raises(
        ShapeError,
        match=r"view: cannot view a tensor of shape \(2, 3\) \(6 elements\) as shape \(4,\)",
    ):
        a.view(4)
    with pytest.raises(ShapeError, match="not contiguous; call .contiguous"):
        a.permute(1, 0).view(6)
    with pytest.raises(ArgumentError, match=r"permute: order \(0, 0\) is not a permutation"):
        a.permute(0, 0)
    with pytest.raises(IndexingError, match=r"index \(2, 0\) is out of range for shape \(2, 3\)"):
        a[2, 0]
    with pytest.raises(IndexingError, match=r"has 3 entries"):
        a[0, 0, 0]
    with pytest.raises(
        ShapeError, match=r"matmul: inner dimensions differ: \(2, 3\) @ \(2, 3\) needs 3 == 2"
    ):
        a @ a
    with pytest.raises(ShapeError, match="matmul: both operands need at least 2 dimensions"):
        a @ minitorch.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="ragged nested list"):
        minitorch.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(IndexingError, match=r"sum: dim 2 is out of range"):
        a.sum(2)
