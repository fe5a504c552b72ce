"""Every tensor operation against NumPy on both backends, and gradients against central differences."""

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import Tensor
from minitorch.errors import (
    ArgumentError,
    GradientError,
    IndexingError,
    MiniTorchError,
    ShapeError,
)
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
    assert str(x.view(2, 3).permute(1, 0)) == "[[1.00 4.00]\n [2.00 5.00]\n [3.00 6.00]]"
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


# --- Robustness: each test below failed before the fault it names was fixed.


def test_truthiness_follows_pytorch() -> None:
    # Before: every tensor was True (bool fell back to len), so `if x.max() > 5`
    # took the branch for x = [1, 2].
    x = minitorch.tensor([1.0, 2.0])
    assert not bool(minitorch.tensor([0.0]))
    assert bool(minitorch.tensor([[3.0]]))
    assert not (x.max() > 5)
    assert minitorch.tensor([1.0]) not in [minitorch.tensor([2.0])]
    for t in (x, minitorch.zeros((0,)), minitorch.zeros((2, 2))):
        with pytest.raises(ShapeError, match=r"bool: the truth value of a tensor of shape"):
            bool(t)
    with pytest.raises(ValueError, match=r"shape \(2,\) \(2 elements\) is ambiguous"):
        if x:
            pass


@backend_names
def test_an_in_place_write_after_use_stops_backward(name: str) -> None:
    # Before: y.backward() silently used the new value: [20, 4] instead of [2, 4].
    backend = BACKENDS[name]
    x = minitorch.tensor([1.0, 2.0], backend=backend, requires_grad=True)
    y = (x * x).sum()
    assert x.version == 0
    x[0] = 10.0
    assert x.version == 1
    with pytest.raises(
        GradientError, match=r"saved by Mul .* modified in place .*version 0, now 1"
    ):
        y.backward()
    assert x.grad is None
    # A write through a view counts too: views share the counter.
    x = minitorch.tensor([[1.0, 2.0]], backend=backend, requires_grad=True)
    y = (x * x).sum()
    x.permute(1, 0).detach()[1, 0] = 5.0
    with pytest.raises(GradientError, match=f"tensor {x.name} of shape"):
        y.backward()
    # So does a write to a saved output (Exp saves its result).
    x = minitorch.tensor([1.0, 2.0], backend=backend, requires_grad=True)
    e = x.exp()
    total = e.sum()
    e[1] = 0.0
    with pytest.raises(GradientError, match="saved by Exp"):
        total.backward()
    # Writes before the forward pass, or to a tensor nothing saved, are fine.
    x = minitorch.tensor([1.0, 2.0], backend=backend, requires_grad=True)
    x[0] = 3.0
    (x * 2.0).sum().backward()
    assert x.grad is not None and x.grad.to_numpy().tolist() == [2.0, 2.0]


def test_requires_grad_on_a_result_follows_pytorch() -> None:
    # Before: requires_grad_() on a result replaced its history, cutting the graph.
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0).requires_grad_(True)
    assert not y.is_leaf() and y.requires_grad
    y.sum().backward()
    assert x.grad is not None and x.grad.to_numpy().tolist() == [3.0, 3.0]
    with pytest.raises(GradientError, match=r"is the result of Mul, not a leaf.*detach"):
        (x * 3.0).requires_grad_(False)
    leaf = minitorch.tensor([1.0], requires_grad=True).requires_grad_(False)
    assert not leaf.requires_grad


def test_a_second_backward_through_a_graph_needs_retain_graph() -> None:
    # Before: the second backward silently doubled every gradient.
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(GradientError, match=r"already used by a backward pass.*retain_graph=True"):
        y.backward()
    assert x.grad is not None and x.grad.to_numpy().tolist() == [2.0, 4.0]
    # A new output that reuses part of a released graph is refused too.
    h = x * x
    h.sum().backward()
    with pytest.raises(GradientError, match="made by Mul"):
        (h * 2.0).sum().backward()
    # retain_graph keeps it: two passes add up, as the caller asked.
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad is not None and x.grad.to_numpy().tolist() == [4.0, 8.0]


@backend_names
def test_max_propagates_nan_and_its_gradient_goes_to_the_nan(name: str) -> None:
    # Before: max([nan, 1, 2]) was 2 but max([1, 2, nan]) was nan.
    backend = BACKENDS[name]
    nan = float("nan")
    for values in ([nan, 1.0, 2.0], [1.0, nan, 2.0], [1.0, 2.0, nan]):
        assert np.isnan(minitorch.tensor(values, backend=backend).max().item()), values
        x = minitorch.tensor(values, backend=backend, requires_grad=True)
        x.max().backward()
        assert x.grad is not None
        assert x.grad.to_numpy().tolist() == np.isnan(values).astype(float).tolist()
    rows = np.array([[1.0, nan, 3.0], [4.0, 6.0, 5.0], [nan, nan, 0.0]])
    x = minitorch.tensor(rows, backend=backend, requires_grad=True)
    out = x.max(1)
    np.testing.assert_array_equal(out.to_numpy(), np.max(rows, axis=1, keepdims=True))
    out.sum().backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [[0, 1, 0], [0, 1, 0], [0.5, 0.5, 0]]


@backend_names
def test_tied_maxima_share_the_gradient(name: str) -> None:
    # The docstring's promise, which no test held it to: a mutant giving every
    # tied maximum the full gradient passed all 745 tests.
    backend = BACKENDS[name]
    x = minitorch.tensor([[2.0, 1.0, 2.0], [3.0, 3.0, 3.0]], backend=backend, requires_grad=True)
    weights = minitorch.tensor([[6.0], [9.0]], backend=backend)
    (x.max(1) * weights).sum().backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [[3.0, 0.0, 3.0], [3.0, 3.0, 3.0]]
    y = minitorch.tensor([[5.0, 5.0], [1.0, 5.0]], backend=backend, requires_grad=True)
    y.max().backward()
    assert y.grad is not None
    assert y.grad.to_numpy().tolist() == [[1 / 3, 1 / 3], [0.0, 1 / 3]]


@backend_names
def test_permute_gradient_uses_the_inverse_order(name: str) -> None:
    # (1, 2, 0) is not its own inverse: a backward that permutes by the order
    # instead of its inverse gives another shape or other numbers.
    backend = BACKENDS[name]
    rng = np.random.default_rng(8)
    a = rng.normal(size=(2, 3, 4))
    w = rng.normal(size=(3, 4, 2))
    x = minitorch.tensor(a, backend=backend, requires_grad=True)
    (x.permute(1, 2, 0) * minitorch.tensor(w, backend=backend)).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.to_numpy(), w.transpose(2, 0, 1))
    gradcheck(lambda t: t.permute(2, 0, 1) * 1.5, a, backend=backend)


@backend_names
def test_scalar_functions_over_their_whole_domain_match_numpy(name: str) -> None:
    # Negative inputs included, checked against NumPy (independent of the
    # library's scalar functions, which SimpleOps and FastOps share). Before,
    # log, inv and div saw only inputs of at least 1, so inv_back wrong for
    # x < 0 went unnoticed.
    backend = BACKENDS[name]
    values = np.concatenate([-np.geomspace(50.0, 1e-3, 25), np.geomspace(1e-3, 50.0, 25)])
    positive = values[values > 0]
    cases: list[tuple[Callable[[Tensor], Tensor], np.ndarray, np.ndarray, np.ndarray]] = [
        (lambda t: 1.0 / t, values, 1.0 / values, -1.0 / values**2),
        (lambda t: t.log(), positive, np.log(positive), 1.0 / positive),
        (lambda t: t.exp(), values, np.exp(values), np.exp(values)),
        (lambda t: t.relu(), values, np.maximum(values, 0), (values > 0).astype(float)),
        (lambda t: -t, values, -values, -np.ones_like(values)),
        (
            lambda t: t.sigmoid(),
            values,
            1 / (1 + np.exp(-values)),
            np.exp(-values) / (1 + np.exp(-values)) ** 2,
        ),
    ]
    for fn, x_np, value, derivative in cases:
        x = minitorch.tensor(x_np, backend=backend, requires_grad=True)
        out = fn(x)
        out.sum().backward()
        assert x.grad is not None
        np.testing.assert_allclose(out.to_numpy(), value, rtol=1e-12)
        # 1e-12 relative plus 1e-15 absolute: sigmoid's s * (1 - s) loses 1 - s near s = 1.
        np.testing.assert_allclose(x.grad.to_numpy(), derivative, rtol=1e-12, atol=1e-15)
    # Division by a negative denominator: d(a / b)/db = -a / b^2.
    a = minitorch.tensor(values, backend=backend, requires_grad=True)
    b = minitorch.tensor(-values[::-1].copy(), backend=backend, requires_grad=True)
    (a / b).sum().backward()
    assert a.grad is not None and b.grad is not None
    np.testing.assert_allclose(a.grad.to_numpy(), 1 / -values[::-1], rtol=1e-12)
    np.testing.assert_allclose(b.grad.to_numpy(), -values / values[::-1] ** 2, rtol=1e-12)


def test_bad_arguments_get_typed_errors_not_truncation_or_foreign_errors() -> None:
    # Before: the first three were silently truncated (1.5 -> 1, 2.7 -> 2, 0.5 -> 0),
    # the next three raised NumPy's or Python's own errors, and max() of nothing
    # returned -inf.
    t = minitorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    eight = minitorch.zeros((8,))
    cases: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: eight.view(1.5, 4), TypeError, r"view: sizes must be integers, got 1\.5"),
        (lambda: minitorch.zeros((2.7, 3)), TypeError, r"zeros: sizes must be integers, got 2\.7"),
        (lambda: t[0.5, 1], TypeError, r"index: indices must be integers, got 0\.5"),
        (lambda: t[0.5], TypeError, r"index: an index is a tuple of integers, got 0\.5"),
        (
            lambda: minitorch.zeros((-1, 3)),
            ValueError,
            r"zeros: sizes must not be negative, got shape \(-1, 3\)",
        ),
        (lambda: minitorch.ones((2, -3)), ValueError, r"ones: sizes must not be negative"),
        (lambda: minitorch.rand((True, 2)), TypeError, r"rand: sizes must be integers, got True"),
        (
            lambda: minitorch.from_numpy(["a"]),
            TypeError,
            r"from_numpy: needs an array of real numbers, got dtype <U1",
        ),
        (lambda: t.sum(1.0), TypeError, r"sum: dim must be an integer, got 1\.0"),
        (lambda: t.max(0.5), TypeError, r"max: dim must be an integer"),
        (lambda: t.permute(1.0, 0), TypeError, r"permute: the order must be integers"),
        (
            lambda: minitorch.zeros((0,)).max(),
            ValueError,
            r"max: the maximum of no numbers is undefined: dim 0 of shape \(0,\)",
        ),
        (
            lambda: minitorch.zeros((2, 0)).max(1),
            ValueError,
            r"dim 1 of shape \(2, 0\) has size 0",
        ),
        (lambda: t + "a", TypeError, r"cannot combine a Tensor with str"),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message) as caught:
            call()
        assert isinstance(caught.value, MiniTorchError), (message, type(caught.value))
    # What stays allowed: NumPy integers, and a max over a non-empty dim of an empty tensor.
    assert minitorch.zeros((np.int64(2), 3)).view(np.int64(3), 2).shape == (3, 2)
    assert minitorch.zeros((0, 3)).max(1).shape == (0, 1)
    assert t[np.int64(1), 0] == 3.0


def test_what_cannot_become_a_tensor_is_a_typed_type_error() -> None:
    for data, name in (("ab", "str"), ([None], "NoneType"), ([1.0, "a"], "str")):
        with pytest.raises(TypeError, match=f"tensor: cannot make a tensor from {name}") as caught:
            minitorch.tensor(data)
        assert isinstance(caught.value, MiniTorchError)
    with pytest.raises(TypeError, match="iter: a Tensor is not iterable") as caught:
        list(minitorch.tensor([1.0]))
    assert isinstance(caught.value, MiniTorchError)
