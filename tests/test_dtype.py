"""float32 tensors next to float64 ones: creation, conversion, promotion, every kernel, modules.

Each float32 result is compared with the float64 computation on the same
(float32-rounded) inputs, which the other test files check against NumPy and
central differences. Float32 keeps about 7 significant digits and sums of up
to a few hundred numbers lose a few more, hence the tolerances ``rtol=1e-4``,
``atol=1e-3``: far tighter than any wrong kernel (a misread storage, a wrong
element) could meet, far looser than float32 rounding reaches.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch import Tensor, TensorData, float32, float64, nn
from minitorch.errors import ArgumentTypeError
from strategies import BACKENDS, tensor_pairs, tensors
from test_tensor import BINARY, UNARY

backend_names = pytest.mark.parametrize("name", list(BACKENDS))


def in_dtype(t: Tensor, dtype: np.dtype, requires_grad: bool = False) -> Tensor:
    """``t``'s values rounded to ``dtype``, with ``t``'s shape *and strides* (a permuted view stays one)."""
    storage, _, _ = t.kernel_args()
    data = TensorData(storage.astype(dtype), t.shape, t.strides)
    return Tensor(data, backend=t.backend).requires_grad_(requires_grad)


def close32(got: Tensor, expected: Tensor) -> None:
    assert got.dtype == float32, f"result has dtype {got.dtype}"
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-4, atol=1e-3)


def twins(t: Tensor) -> tuple[Tensor, Tensor]:
    """A float32 leaf and a float64 leaf holding the same (float32-representable) numbers."""
    single = in_dtype(t, float32, requires_grad=True)
    return single, in_dtype(single, float64, requires_grad=True)


# ----------------------------------------------------------------- creation


@pytest.mark.parametrize("dtype", [float32, np.float32, "float32", float64, float, "float64"])
def test_creation_functions_take_dtype(dtype: object) -> None:
    want = np.dtype(dtype)
    made = {
        "tensor": minitorch.tensor([[1.0, 2.0]], dtype=dtype),
        "zeros": minitorch.zeros((2, 3), dtype=dtype),
        "ones": minitorch.ones(3, dtype=dtype),
        "rand": minitorch.rand((2, 2), seed=0, dtype=dtype),
        "from_numpy": minitorch.from_numpy(np.arange(4.0), dtype=dtype),
    }
    for name, t in made.items():
        assert t.dtype == want, name
        assert t.to_numpy().dtype == want, name
        assert t.zeros().dtype == want and minitorch.zeros_like(t).dtype == want, name
    assert made["ones"].to_numpy().tolist() == [1.0, 1.0, 1.0]


def test_defaults_are_float64_and_float_arrays_keep_their_dtype() -> None:
    assert minitorch.tensor([1, 2]).dtype == float64
    assert minitorch.zeros(2).dtype == float64
    assert minitorch.from_numpy(np.arange(3)).dtype == float64
    assert minitorch.from_numpy(np.array([True])).dtype == float64
    single = np.array([0.1, 0.2], dtype=np.float32)
    assert minitorch.from_numpy(single).dtype == float32
    assert minitorch.tensor(single).dtype == float32
    assert minitorch.tensor(minitorch.tensor(single)).dtype == float32
    assert TensorData(single, (2,)).dtype == float32
    # the same seed gives the same numbers, rounded, in either dtype
    np.testing.assert_array_equal(
        minitorch.rand(5, seed=3, dtype=float32).to_numpy(),
        minitorch.rand(5, seed=3).to_numpy().astype(np.float32),
    )


BAD_DTYPES = [np.int64, int, np.complex128, np.float16, bool, "float8", object]
MAKERS: dict[str, Callable[[object], object]] = {
    "tensor": lambda d: minitorch.tensor([1.0], dtype=d),
    "zeros": lambda d: minitorch.zeros(2, dtype=d),
    "ones": lambda d: minitorch.ones(2, dtype=d),
    "rand": lambda d: minitorch.rand(2, dtype=d),
    "from_numpy": lambda d: minitorch.from_numpy(np.zeros(2), dtype=d),
    "to": lambda d: minitorch.tensor([1.0]).to(d),
    "Module.to": lambda d: minitorch.Linear(2, 2, seed=0).to(d),
    "Linear": lambda d: minitorch.Linear(2, 2, seed=0, dtype=d),
}


@pytest.mark.parametrize("maker", list(MAKERS))
@pytest.mark.parametrize("dtype", BAD_DTYPES, ids=str)
def test_bad_dtypes_raise_typed_errors(maker: str, dtype: object) -> None:
    with pytest.raises(ArgumentTypeError, match="float64 or float32"):
        MAKERS[maker](dtype)


def test_error_messages_say_why_a_dtype_is_refused() -> None:
    with pytest.raises(ArgumentTypeError, match="zeros: .* got dtype float16 .*half precision"):
        minitorch.zeros(2, dtype=np.float16)
    with pytest.raises(ArgumentTypeError, match="tensor: .* got dtype int64 .*integer tensors"):
        minitorch.tensor([1], dtype=int)
    with pytest.raises(ArgumentTypeError, match="to: .* complex128 .*complex numbers"):
        minitorch.tensor([1.0]).to(np.complex128)
    with pytest.raises(ArgumentTypeError, match="ones: .* got dtype >f4 .*own 8- and 4-byte"):
        minitorch.ones(2, dtype=">f4" if np.little_endian else "<f4")
    # an array of the other byte order is converted, not refused
    swapped = np.arange(3.0).astype(">f8" if np.little_endian else "<f8")
    assert minitorch.from_numpy(swapped).to_numpy().tolist() == [0.0, 1.0, 2.0]


# --------------------------------------------------------------- conversion


@backend_names
def test_to_rounds_keeps_a_view_s_values_and_returns_itself_for_its_own_dtype(name: str) -> None:
    x = minitorch.tensor([[1 / 3, 2.0, 1e-50], [4.0, 5.0, 6.0]], backend=BACKENDS[name])
    view = x.permute(1, 0)
    single = view.float()
    assert single.dtype == float32 and single.shape == (3, 2)
    np.testing.assert_array_equal(single.to_numpy(), view.to_numpy().astype(np.float32))
    assert single.to_numpy()[2, 0] == 0.0  # 1e-50 is below float32's smallest number
    assert view.double() is view and single.float() is single and single.to("float32") is single
    back = single.double()
    assert back.dtype == float64 and back.to_numpy()[0, 0] == np.float32(1 / 3)


@backend_names
def test_gradient_of_a_conversion_comes_back_in_the_leaf_s_dtype(name: str) -> None:
    x = minitorch.tensor([1.0, 2.0, 3.0], backend=BACKENDS[name], requires_grad=True)
    y = (x.float() * x.float()).sum()
    assert y.dtype == float32
    y.backward()
    assert x.grad is not None and x.grad.dtype == float64
    assert x.grad.to_numpy().tolist() == [2.0, 4.0, 6.0]


def test_item_and_getitem_return_python_floats() -> None:
    x = minitorch.tensor([0.1], dtype=float32)
    assert type(x.item()) is float and x.item() == float(np.float32(0.1))
    assert type(x[0]) is float


# ------------------------------------------------------------------ kernels


@backend_names
@pytest.mark.parametrize("op", list(UNARY))
def test_unary_ops_in_float32_match_float64(name: str, op: str) -> None:
    fn, _ = UNARY[op]

    @given(tensors(backend=BACKENDS[name]))
    @settings(max_examples=25)
    def check(t: Tensor) -> None:
        single, double = twins(t)
        out32, out64 = fn(single), fn(double)
        close32(out32, out64)
        weights = minitorch.rand(out64.shape, seed=1, backend=t.backend)
        (out32 * weights.float()).sum().backward()
        (out64 * weights).sum().backward()
        assert single.grad is not None and double.grad is not None
        close32(single.grad, double.grad)

    check()


@backend_names
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_ops_in_float32_match_float64(name: str, op: str) -> None:
    fn, _ = BINARY[op]

    @given(tensor_pairs(backend=BACKENDS[name]))
    @settings(max_examples=25)
    def check(pair: tuple[Tensor, Tensor]) -> None:
        (a32, a64), (b32, b64) = twins(pair[0]), twins(pair[1])
        close32(fn(a32, b32), fn(a64, b64))
        fn(a32, b32).sum().backward()
        fn(a64, b64).sum().backward()
        for single, double in ((a32, a64), (b32, b64)):
            assert single.grad is not None and double.grad is not None
            close32(single.grad, double.grad)
        close32(a32 < b32, a64 < b64)
        close32(a32 == a32, a64 == a64)

    check()


@backend_names
def test_matmul_in_float32_matches_float64(name: str) -> None:
    backend = BACKENDS[name]

    @given(st.data())
    @settings(max_examples=20)
    def check(data: st.DataObject) -> None:
        n, k, m = (data.draw(st.integers(1, 5)) for _ in range(3))
        (a32, a64) = twins(data.draw(tensors((2, n, k), backend=backend)))
        (b32, b64) = twins(data.draw(tensors((k, m), backend=backend)))
        close32(a32 @ b32, a64 @ b64)
        (a32 @ b32).sum().backward()
        (a64 @ b64).sum().backward()
        assert a32.grad is not None and a64.grad is not None
        assert b32.grad is not None and b64.grad is not None
        close32(a32.grad, a64.grad)
        close32(b32.grad, b64.grad)

    check()


NETWORK_OPS: dict[str, tuple[tuple[int, ...], Callable[..., Tensor]]] = {
    "conv1d": ((2, 4, 11), lambda x, w: minitorch.conv1d(x, w, stride=2, padding=1, dilation=2)),
    "conv2d": (
        (2, 4, 7, 6),
        lambda x, w: minitorch.conv2d(x, w, stride=(2, 1), padding=1, groups=2),
    ),
    "conv_transpose2d": (
        (2, 4, 4, 5),
        lambda x, w: minitorch.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
    ),
    "max_pool2d": ((2, 3, 7, 6), lambda x, w: nn.max_pool2d(x, 3, stride=2, padding=1)),
    "avg_pool2d": ((2, 3, 7, 6), lambda x, w: nn.avg_pool2d(x, 2, ceil_mode=True)),
    "max_pool1d": ((2, 3, 9), lambda x, w: nn.max_pool1d(x, 2, dilation=2)),
    "avg_pool1d": ((2, 3, 9), lambda x, w: nn.avg_pool1d(x, 3, stride=2, padding=1)),
    "adaptive_avg_pool2d": ((2, 3, 5, 7), lambda x, w: nn.adaptive_avg_pool2d(x, (2, 3))),
    "softmax": ((3, 5), lambda x, w: nn.softmax(x, 1)),
    "logsoftmax": ((3, 5), lambda x, w: nn.logsoftmax(x, 0)),
    "dropout": ((4, 6), lambda x, w: nn.dropout(x, 0.3, seed=1)),
    "cross_entropy": ((4, 5), lambda x, w: nn.cross_entropy(x, [0, 4, 2, 2])),
    "nll_loss": ((4, 5), lambda x, w: nn.nll_loss(nn.logsoftmax(x, 1), [1, 0, 3, 4])),
}
WEIGHT_SHAPES = {"conv1d": (3, 4, 3), "conv2d": (6, 2, 3, 2), "conv_transpose2d": (4, 3, 3, 3)}


@backend_names
@pytest.mark.parametrize("op", list(NETWORK_OPS))
def test_network_ops_in_float32_match_float64_on_permuted_inputs(name: str, op: str) -> None:
    backend = BACKENDS[name]
    shape, fn = NETWORK_OPS[op]
    rng = np.random.default_rng(5)
    # a permuted view: stored with its last two dimensions swapped
    stored = minitorch.tensor(
        rng.normal(size=(*shape[:-2], shape[-1], shape[-2])), backend=backend
    )
    order = (*range(len(shape) - 2), len(shape) - 1, len(shape) - 2)
    x32, x64 = twins(stored.permute(*order))
    assert not x32.is_contiguous()
    w_shape = WEIGHT_SHAPES.get(op, (1,))
    w32, w64 = twins(minitorch.tensor(rng.normal(size=w_shape), backend=backend))
    out32, out64 = fn(x32, w32), fn(x64, w64)
    close32(out32, out64)
    weights = minitorch.tensor(rng.uniform(0.5, 1.5, size=out64.shape), backend=backend)
    (out32 * weights.float()).sum().backward()
    (out64 * weights).sum().backward()
    assert x32.grad is not None and x64.grad is not None
    close32(x32.grad, x64.grad)
    if op in WEIGHT_SHAPES:
        assert w32.grad is not None and w64.grad is not None
        close32(w32.grad, w64.grad)


@backend_names
def test_unrolling_keeps_the_dtype(name: str) -> None:
    """The unrolled matrices the book builds convolution from (no gradient: a teaching view)."""
    x = minitorch.rand((3, 5, 4), backend=BACKENDS[name], seed=0)
    single = x.float()
    for unrolled, exact in (
        (minitorch.unroll2d(single, 2, 3), minitorch.unroll2d(x, 2, 3)),
        (minitorch.unroll1d(single.view(60), 4), minitorch.unroll1d(x.view(60), 4)),
    ):
        assert unrolled.dtype == float32
        np.testing.assert_array_equal(unrolled.to_numpy(), exact.to_numpy().astype(np.float32))


def test_fast_and_plain_backends_agree_in_float32() -> None:
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3))
    outs = []
    for backend in BACKENDS.values():
        t = minitorch.tensor(x, backend=backend, dtype=float32)
        k = minitorch.tensor(w, backend=backend, dtype=float32)
        out = nn.max_pool2d(minitorch.conv2d(t, k, padding=1).relu(), 2)
        assert out.dtype == float32
        outs.append(out.to_numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- promotion


@backend_names
@pytest.mark.parametrize(
    "op",
    ["add", "sub", "mul", "div", "radd", "rsub", "rmul", "rdiv", "lt", "gt", "eq", "is_close"],
)
def test_float32_with_float64_promotes_to_float64(name: str, op: str) -> None:
    backend = BACKENDS[name]
    x32 = minitorch.tensor([[0.1, 2.0], [3.0, 4.0]], backend=backend, dtype=float32)
    y64 = minitorch.tensor([0.3, 0.7], backend=backend)
    fn = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "radd": lambda a, b: b + a,
        "rsub": lambda a, b: b - a,
        "rmul": lambda a, b: b * a,
        "rdiv": lambda a, b: b / a,
        "lt": lambda a, b: a < b,
        "gt": lambda a, b: a > b,
        "eq": lambda a, b: a == b,
        "is_close": lambda a, b: a.is_close(b),
    }[op]
    for a, b in ((x32, y64), (y64, x32)):
        out = fn(a, b)
        assert out.dtype == float64
        exact = fn(in_dtype(a, float64), in_dtype(b, float64))
        np.testing.assert_array_equal(out.to_numpy(), exact.to_numpy())


@backend_names
def test_python_numbers_do_not_promote(name: str) -> None:
    x = minitorch.tensor([1.0, 2.0], backend=BACKENDS[name], dtype=float32)
    for out in (x * 0.1, 0.1 - x, x / 3, 2 + x, x * np.float64(0.5), x < 1.5, x.mean()):
        assert out.dtype == float32
    assert (x * 0.1).to_numpy()[0] == np.float32(0.1)


@backend_names
def test_gradients_through_a_promoted_operation_keep_each_leaf_s_dtype(name: str) -> None:
    backend = BACKENDS[name]
    x = minitorch.tensor([1.5, -2.0], backend=backend, dtype=float32, requires_grad=True)
    y = minitorch.tensor([3.0, 4.0], backend=backend, requires_grad=True)
    (x * y + x).sum().backward()
    assert x.grad is not None and y.grad is not None
    assert x.grad.dtype == float32 and y.grad.dtype == float64
    assert x.grad.to_numpy().tolist() == [4.0, 5.0]
    assert y.grad.to_numpy().tolist() == [1.5, -2.0]


def test_matmul_and_convolution_refuse_mixed_dtypes() -> None:
    a32 = minitorch.ones((2, 2), dtype=float32)
    with pytest.raises(ArgumentTypeError, match=r"matmul: .* float32 @ float64"):
        a32 @ minitorch.ones((2, 2))
    x = minitorch.ones((1, 2, 5), dtype=float32)
    with pytest.raises(ArgumentTypeError, match="conv1d: input and weight need the same dtype"):
        minitorch.conv1d(x, minitorch.ones((3, 2, 2)))
    with pytest.raises(ArgumentTypeError, match="conv_transpose1d: input and weight"):
        minitorch.conv_transpose1d(x, minitorch.ones((2, 3, 2)))
    with pytest.raises(ArgumentTypeError, match="conv1d: bias needs the dtype .* float32"):
        minitorch.conv1d(x, minitorch.ones((3, 2, 2), dtype=float32), minitorch.ones(3))


def test_backward_refuses_a_grad_output_of_another_dtype() -> None:
    x = minitorch.tensor([1.0, 2.0], dtype=float32, requires_grad=True)
    y = x * 2.0
    with pytest.raises(ArgumentTypeError, match="backward: grad_output has dtype float64"):
        y.backward(minitorch.ones(2))
    y.backward(minitorch.ones(2, dtype=float32))
    assert x.grad is not None and x.grad.dtype == float32


# ------------------------------------------------------- modules, optimisers


LAYERS: dict[str, Callable[..., minitorch.Module]] = {
    "Linear": lambda **kw: minitorch.Linear(3, 4, **kw),
    "Conv1d": lambda **kw: minitorch.Conv1d(2, 4, 3, **kw),
    "Conv2d": lambda **kw: minitorch.Conv2d(2, 4, 3, groups=2, **kw),
    "ConvTranspose1d": lambda **kw: minitorch.ConvTranspose1d(2, 4, 3, **kw),
    "ConvTranspose2d": lambda **kw: minitorch.ConvTranspose2d(2, 4, 3, stride=2, **kw),
}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_layers_take_dtype_and_one_seed_gives_the_same_network(layer: str) -> None:
    single = LAYERS[layer](seed=4, dtype=float32)
    double = LAYERS[layer](seed=4)
    for (n32, p32), (n64, p64) in zip(
        single.named_parameters(), double.named_parameters(), strict=True
    ):
        assert n32 == n64 and p32.value.dtype == float32 and p64.value.dtype == float64
        np.testing.assert_array_equal(
            p32.value.to_numpy(), p64.value.to_numpy().astype(np.float32)
        )


def test_module_to_converts_every_parameter_and_gradient() -> None:
    net = minitorch.Conv2d(1, 2, 3, seed=0)
    x = minitorch.ones((1, 1, 4, 4))
    net(x).sum().backward()
    assert net.float() is net
    for parameter in net.parameters():
        assert parameter.value.dtype == float32 and parameter.value.requires_grad
        assert parameter.grad is not None and parameter.grad.dtype == float32
    assert net(x.float()).dtype == float32
    net.double()
    assert {p.value.dtype for p in net.parameters()} == {float64}
    assert net.to("float32").weight.value.dtype == float32


@backend_names
@pytest.mark.parametrize("optimizer", ["SGD", "SGD momentum", "Adam"])
def test_optimiser_steps_keep_float32_and_match_float64(name: str, optimizer: str) -> None:
    make = {
        "SGD": lambda ps: minitorch.SGD(ps, lr=0.1),
        "SGD momentum": lambda ps: minitorch.SGD(ps, lr=0.1, momentum=0.9),
        "Adam": lambda ps: minitorch.Adam(ps, lr=0.01),
    }[optimizer]
    values = []
    for dtype in (float32, float64):
        net = minitorch.Linear(3, 2, backend=BACKENDS[name], seed=1, dtype=dtype)
        step = make(net.parameters())
        x = minitorch.rand((5, 3), backend=BACKENDS[name], seed=2, dtype=dtype)
        for _ in range(3):
            net.zero_grad()
            (net(x) * net(x)).sum().backward()
            step.step()
        assert net.weight.value.dtype == dtype
        values.append(net.weight.value.to_numpy())
    np.testing.assert_allclose(values[0], values[1], rtol=1e-4, atol=1e-5)


def test_central_difference_refuses_float32_with_the_reason() -> None:
    with pytest.raises(ArgumentTypeError, match="argument 1 is float32 .* about 1 significant"):
        minitorch.central_difference(lambda x, y: x * y, 2.0, np.float32(3.0), arg=1)
    assert minitorch.central_difference(lambda x: x * x, float(np.float32(3.0))) == pytest.approx(
        6.0
    )


def test_a_float64_program_loads_no_float32_kernel() -> None:
    """Numba compiles (or loads) one specialisation per dtype on first use, not ahead."""
    program = (
        "import minitorch\n"
        "from minitorch import fast_ops\n"
        "from minitorch.jit import serial_twin\n"
        "x = minitorch.rand((4, 5), seed=0, requires_grad=True)\n"
        "(x * x + x).sum().backward()\n"
        "kernels = (fast_ops.tensor_zip, fast_ops.tensor_map, fast_ops.tensor_reduce)\n"
        "twins = [serial_twin(k) for k in kernels]  # small work runs on one thread\n"
        "print(sorted({str(s) for k in (*kernels, *twins) for s in k.signatures}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    assert "float64" in out and "float32" not in out


def test_digits_trains_in_float32_from_the_same_weights() -> None:
    from minitorch.datasets import load_digits
    from minitorch.examples import digits

    data = load_digits().head(64, 32)
    runs = {
        dtype: digits.train(epochs=2, progress=False, data=data, dtype=dtype)
        for dtype in (float32, float64)
    }
    for dtype, result in runs.items():
        assert {p.value.dtype for p in result.model.parameters()} == {dtype}
    # two epochs from the same rounded weights stay close; the losses are float32's
    np.testing.assert_allclose(runs[float32].losses, runs[float64].losses, rtol=1e-3)
