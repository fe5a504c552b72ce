"""The public convolutions: the chapter's numbers, PyTorch's options against a NumPy reference, gradients, errors."""

import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings

import conv_reference as ref
import minitorch
from conv_reference import conv_case, strided_tensor
from minitorch import (
    ArgumentError,
    ShapeError,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    tensor,
    tensor_functions,
)
from strategies import BACKENDS, gradcheck

# Sums of at most a few hundred products of N(0, 1) numbers: float64 rounding is ~1e-14.
RTOL = 1e-10
ATOL = 1e-10


def close(actual: minitorch.Tensor, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual.to_numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.fixture(autouse=True, scope="module")
def _outputs_start_as_nan() -> Iterator[None]:
    """A convolution's outputs start uninitialised: here as NaN, so a cell left unwritten shows.

    (The phases no tap reaches of a strided layer's input gradient, or the taps
    that meet no input cell, are zeroed explicitly.) Module-scoped, as
    hypothesis allows.
    """

    def nan_filled(like: minitorch.Tensor, shape: tuple[int, ...]) -> minitorch.Tensor:
        values = np.full(math.prod(shape), np.nan, like.dtype)
        return like._new(minitorch.TensorData.view_of(values, shape))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tensor_functions, "_uninitialised", nan_filled)
        yield


# ------------------------------------------------------------ the chapter's examples
# The source chapter's convolution keeps the length and reads zeros after the end.
CHAPTER_1D = ((0, 2),)


def test_chapter_1d_example() -> None:
    out = conv1d(tensor([[[1, 2, 3, 4, 5, 6]]]), tensor([[[5, 2, 3]]]), padding=CHAPTER_1D)
    assert out.to_numpy().reshape(-1).tolist() == [18, 28, 38, 48, 37, 30]


def test_pytorch_defaults_and_padding_forms() -> None:
    x, w = tensor([[[1, 2, 3, 4, 5, 6]]]), tensor([[[5, 2, 3]]])
    # the default is PyTorch's: no padding, so only the 4 full windows
    assert conv1d(x, w).to_numpy().ravel().tolist() == [18, 28, 38, 48]
    assert conv1d(x, w, padding="valid").to_numpy().ravel().tolist() == [18, 28, 38, 48]
    assert conv1d(x, w, padding=1).to_numpy().ravel().tolist() == [8, 18, 28, 38, 48, 37]
    assert conv1d(x, w, padding="same").to_numpy().ravel().tolist() == [8, 18, 28, 38, 48, 37]
    # an even kernel: "same" puts the extra zero after, as PyTorch does
    even = conv1d(x, tensor([[[1, 10]]]), padding="same").to_numpy().ravel().tolist()
    assert even == [21, 32, 43, 54, 65, 6]
    assert conv1d(x, w, stride=2).to_numpy().ravel().tolist() == [18, 38]
    assert conv1d(x, w, dilation=2).to_numpy().ravel().tolist() == [5 + 6 + 15, 10 + 8 + 18]
    # the old right-anchored form is padding before the input
    left = conv1d(x, w, padding=((2, 0),)).to_numpy().ravel().tolist()
    assert left == [3, 8, 18, 28, 38, 48]
    # a 2D padding as one int per side pair, and unbatched input
    image = minitorch.ones((1, 3, 3))
    assert conv2d(image, minitorch.ones((1, 1, 2, 2)), padding=((1, 0), (0, 1))).shape == (1, 3, 3)


def test_bias_is_added_per_output_channel() -> None:
    x = minitorch.ones((2, 1, 4))
    out = conv1d(x, minitorch.ones((3, 1, 2)), tensor([1.0, 10.0, 100.0]))
    assert out.to_numpy()[1, :, 0].tolist() == [3.0, 12.0, 102.0]


@pytest.mark.parametrize("name", list(BACKENDS))
def test_a_strided_bias_and_its_gradient(name: str) -> None:
    # Every other number of a storage: the bias is added where it is, not copied first.
    backend = BACKENDS[name]
    storage = np.arange(1.0, 7.0)
    bias = minitorch.Tensor(minitorch.TensorData(storage, (3,), (2,)), backend=backend)
    bias.requires_grad_()
    x = minitorch.ones((2, 1, 4), backend=backend)
    out = conv1d(x, minitorch.ones((3, 1, 2), backend=backend), bias)
    np.testing.assert_array_equal(out.to_numpy()[:, :, 0], [[3.0, 5.0, 7.0]] * 2)
    seeds = np.arange(18.0).reshape(2, 3, 3)
    out.backward(minitorch.tensor(seeds, backend=backend))
    assert bias.grad is not None
    np.testing.assert_array_equal(bias.grad.to_numpy(), seeds.sum(axis=(0, 2)))


def test_chapter_backward_example_three_cells() -> None:
    # input[2] feeds output[0], output[1] and output[2], through weight[2], [1] and [0].
    w0, w1, w2 = 5.0, 2.0, 3.0
    d = [1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]
    x = tensor([[[1, 2, 3, 4, 5, 6]]], requires_grad=True)
    conv1d(x, tensor([[[w0, w1, w2]]]), padding=CHAPTER_1D).backward(tensor([[d]]))
    assert x.grad is not None
    assert x.grad[0, 0, 2] == w0 * d[2] + w1 * d[1] + w2 * d[0]


def test_kernel_wider_than_input_reads_zeros() -> None:
    out = conv1d(tensor([[[1, 2, 3]]]), tensor([[[1, 1, 1, 1, 1]]]), padding=((0, 4),))
    assert out.to_numpy().reshape(-1).tolist() == [6, 5, 3]
    image = tensor([[[[1, 2], [3, 4]]]])
    out2 = conv2d(image, minitorch.ones((1, 1, 4, 3)), padding=((0, 3), (0, 2)))
    assert out2.to_numpy().reshape(2, 2).tolist() == [[10, 6], [7, 4]]


def test_conv2d_is_anchored_top_left() -> None:
    image = np.zeros((1, 1, 4, 4))
    image[0, 0, 2, 3] = 1.0
    weight = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    out = conv2d(tensor(image), tensor(weight), padding=((0, 1), (0, 2))).to_numpy()[0, 0]
    # out[h, w] = weight[2 - h, 3 - w] where that tap exists: the pixel is seen by
    # windows whose top-left corner is above and to the left of it.
    expected = np.zeros((4, 4))
    for kh in range(2):
        for kw in range(3):
            if 2 - kh >= 0 and 3 - kw >= 0:
                expected[2 - kh, 3 - kw] = weight[0, 0, kh, kw]
    np.testing.assert_array_equal(out, expected)


# ------------------------------------------------------- against the NumPy reference
def _run_case(case: dict, dims: int, backend=None) -> None:
    """Forward and every gradient of one drawn case against the NumPy reference."""
    x = strided_tensor(case["x"], case["x_order"], requires_grad=True, backend=backend)
    w = strided_tensor(case["w"], case["w_order"], requires_grad=True, backend=backend)
    b = tensor(case["b"], requires_grad=True, backend=backend) if case["bias"] else None
    options = {k: case[k] for k in ("stride", "dilation", "groups")}
    if "output_padding" in case:
        op = conv_transpose1d if dims == 1 else conv_transpose2d
        out = op(
            x, w, b, padding=case["padding"], output_padding=case["output_padding"], **options
        )
        expected = ref.conv_transpose(
            case["x"],
            case["w"],
            case["stride"],
            case["padding"],
            case["output_padding"],
            case["dilation"],
            case["groups"],
        )
        # its gradients: the input's is the convolution it transposes; the weight's
        # is that convolution's weight gradient with input and output exchanged
        pairs = tuple((p, p) for p in case["padding"])
        grad_output, grad_weight = ref.conv_grads(
            case["g"],
            case["w"],
            case["x"],
            case["stride"],
            pairs,
            case["dilation"],
            case["groups"],
        )
        grad_input = ref.conv(
            case["g"], case["w"], case["stride"], pairs, case["dilation"], case["groups"]
        )[(slice(None), slice(None), *(slice(0, n) for n in case["x"].shape[2:]))]
        del grad_output
    else:
        op = conv1d if dims == 1 else conv2d
        out = op(x, w, b, padding=case["padding"], **options)
        args = (case["stride"], case["padding"], case["dilation"], case["groups"])
        expected = ref.conv(case["x"], case["w"], *args)
        grad_input, grad_weight = ref.conv_grads(case["x"], case["w"], case["g"], *args)
    if b is not None:
        expected = expected + case["b"].reshape(-1, *(1,) * dims)
    close(out, expected)
    out.backward(strided_tensor(case["g"], case["g_order"], backend=backend))
    assert x.grad is not None and w.grad is not None
    close(x.grad, grad_input)
    close(w.grad, grad_weight)
    if b is not None:
        assert b.grad is not None
        close(b.grad, case["g"].sum(axis=(0, *range(2, 2 + dims))))


@settings(max_examples=40, deadline=None)
@given(conv_case(dims=1))
def test_conv1d_forward_and_gradients_match_numpy(case: dict) -> None:
    _run_case(case, 1)


@settings(max_examples=40, deadline=None)
@given(conv_case(dims=2))
def test_conv2d_forward_and_gradients_match_numpy(case: dict) -> None:
    _run_case(case, 2)


@settings(max_examples=30, deadline=None)
@given(conv_case(dims=1, transposed=True))
def test_conv_transpose1d_forward_and_gradients_match_numpy(case: dict) -> None:
    _run_case(case, 1)


@settings(max_examples=30, deadline=None)
@given(conv_case(dims=2, transposed=True))
def test_conv_transpose2d_forward_and_gradients_match_numpy(case: dict) -> None:
    _run_case(case, 2)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "output_padding"),
    [
        ((1, 1), (4, 4), (1, 1), (0, 0), (1, 1), (0, 0)),  # DCGAN's projection of noise
        ((1, 3), (3, 2), (2, 2), (1, 0), (2, 1), (1, 1)),  # one cell high, three wide
        ((1, 1), (3, 3), (3, 1), (2, 1), (1, 2), (2, 0)),  # taps outside the output too
    ],
)
def test_conv_transpose_of_one_cell_inputs(
    size, kernel, stride, padding, dilation, output_padding
):
    # Along a dimension where the input is one cell the transposed convolution runs a
    # piece per tap; forward and every gradient against the reference, 2 groups.
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, *size))
    w = rng.normal(size=(4, 3, *kernel))
    y = ref.conv_transpose(x, w, stride, padding, output_padding, dilation, 2)
    case = {
        "groups": 2,
        "stride": stride,
        "dilation": dilation,
        "padding": padding,
        "output_padding": output_padding,
        "x_order": (0, 1, 2, 3),
        "w_order": (2, 3, 0, 1),
        "g_order": (0, 2, 3, 1),
        "bias": True,
        "x": x,
        "w": w,
        "b": rng.normal(size=6),
        "g": rng.normal(size=y.shape),
    }
    _run_case(case, 2)


# Layers the drawn cases are too small for: few numbers per filter and many output
# channels (a waveform's or an image's first layer), whose strided gradients go
# through the unrolled input, and stride-1 layers whose weight gradient is taken one
# image at a time. Each names the path it must take.
WIDE_LAYERS = [
    # (dims, batch, channels, out_channels, sizes, kernel, stride, padding, dilation,
    #  groups, transposed, path)
    (1, 2, 1, 24, (40,), (5,), (3,), ((2, 1),), (2,), 1, False, "columns"),
    (1, 3, 2, 40, (23,), (3,), (2,), ((0, 2),), (1,), 2, False, "columns"),
    (2, 2, 1, 24, (9, 11), (2, 3), (2, 3), ((1, 0), (2, 2)), (2, 1), 1, False, "columns"),
    (1, 2, 24, 1, (9,), (4,), (2,), (1,), (3,), 1, True, "columns"),
    (2, 2, 16, 1, (4, 5), (2, 2), (2, 3), (0, 1), (1, 2), 1, True, "columns"),
    (1, 4, 3, 8, (60,), (2,), (1,), ((1, 0),), (2,), 1, False, "per_image"),
    (2, 3, 2, 4, (12, 10), (2, 2), (1, 1), ((0, 1), (1, 1)), (1, 1), 1, False, "per_image"),
]
PATHS = {
    "columns": ("_transpose_by_columns", "_weight_gradient_by_columns"),
    "per_image": ("_weight_gradient_per_image",),
}


@pytest.mark.parametrize("layer", WIDE_LAYERS)
def test_wide_layers_match_numpy_on_their_own_path(layer, monkeypatch) -> None:
    dims, batch, c, o, sizes, kernel, stride, padding, dilation, groups, transposed, path = layer
    calls = {name: 0 for name in PATHS[path]}
    for name in calls:
        real = getattr(tensor_functions, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(tensor_functions, name, counted)
    rng = np.random.default_rng(sum(sizes) + o)
    x = rng.normal(size=(batch, c * groups, *sizes))
    case = {
        "groups": groups,
        "stride": stride,
        "dilation": dilation,
        "padding": padding,
        "x_order": tuple(reversed(range(dims + 2))),
        "w_order": tuple(range(dims + 2)),
        "g_order": (0, *range(2, dims + 2), 1),
        "bias": True,
        "x": x,
        "b": rng.normal(size=o * groups),
    }
    if transposed:
        case["w"] = rng.normal(size=(c * groups, o, *kernel))
        case["output_padding"] = (0,) * dims
        y = ref.conv_transpose(x, case["w"], stride, padding, (0,) * dims, dilation, groups)
    else:
        case["w"] = rng.normal(size=(o * groups, c, *kernel))
        y = ref.conv(x, case["w"], stride, padding, dilation, groups)
    case["g"] = rng.normal(size=y.shape)
    _run_case(case, dims)
    assert all(calls.values()), calls


@settings(max_examples=8, deadline=None)
@given(conv_case(dims=2), conv_case(dims=1, transposed=True))
def test_plain_backend_matches_numpy_too(case: dict, transposed: dict) -> None:
    _run_case(case, 2, backend=BACKENDS["simple"])
    _run_case(transposed, 1, backend=BACKENDS["simple"])


def test_numpy_reference_agrees_with_the_definition() -> None:
    # The reference itself, against the formula written as plain loops with every option.
    rng = np.random.default_rng(3)
    groups, stride, dilation, (lo, hi) = 2, 2, 3, (2, 1)
    x = rng.normal(size=(2, 4, 9))
    w = rng.normal(size=(6, 2, 3))
    width = (9 + lo + hi - dilation * 2 - 1) // stride + 1
    expected = np.zeros((2, 6, width))
    for b, o, t, c, k in np.ndindex(2, 6, width, 2, 3):
        n = t * stride + k * dilation - lo
        if 0 <= n < 9:
            g = o // 3
            expected[b, o, t] += w[o, c, k] * x[b, g * 2 + c, n]
    np.testing.assert_allclose(
        ref.conv(x, w, (stride,), ((lo, hi),), (dilation,), groups), expected, rtol=1e-12
    )
    # the transposed convolution as PyTorch documents it: each input cell adds a
    # scaled copy of the kernel, stride cells after the previous one
    y = rng.normal(size=(1, 2, 3))
    k = rng.normal(size=(2, 1, 2))
    full = np.zeros((1, 1, (3 - 1) * 2 + 2))
    for i, t, kk in np.ndindex(2, 3, 2):
        full[0, 0, t * 2 + kk] += y[0, i, t] * k[i, 0, kk]
    np.testing.assert_allclose(
        ref.conv_transpose(y, k, (2,), (1,), (0,), (1,), 1), full[:, :, 1:-1], rtol=1e-12
    )


# ------------------------------------------------------------ central differences
@pytest.mark.parametrize("name", list(BACKENDS))
def test_conv_gradcheck_every_element(name: str) -> None:
    rng = np.random.default_rng(0)
    backend = BACKENDS[name]

    def strided(x, w):
        return conv1d(x, w, stride=2, padding=((1, 2),), dilation=2, groups=2)

    gradcheck(strided, rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 2, 3)), backend=backend)
    # a kernel wider than the input, read past both ends
    gradcheck(
        lambda x, w: conv1d(x, w, padding=((2, 3),)),
        rng.normal(size=(1, 2, 2)),
        rng.normal(size=(3, 2, 4)),
        backend=backend,
    )
    gradcheck(
        lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        rng.normal(size=(2, 2, 4, 5)),
        rng.normal(size=(3, 2, 2, 2)),
        rng.normal(size=3),
        backend=backend,
    )


@pytest.mark.parametrize("name", list(BACKENDS))
def test_conv_transpose_gradcheck_every_element(name: str) -> None:
    rng = np.random.default_rng(1)
    backend = BACKENDS[name]
    gradcheck(
        lambda y, w: conv_transpose1d(y, w, stride=3, padding=1, output_padding=2, dilation=2),
        rng.normal(size=(2, 2, 3)),
        rng.normal(size=(2, 3, 2)),
        backend=backend,
    )
    gradcheck(
        lambda y, w, b: conv_transpose2d(y, w, b, stride=2, padding=(1, 0), groups=2),
        rng.normal(size=(1, 4, 2, 3)),
        rng.normal(size=(4, 1, 3, 2)),
        rng.normal(size=2),
        backend=backend,
    )


def test_conv_transpose_is_the_input_gradient_of_conv() -> None:
    # <conv(x, w), y> = <x, conv_transpose(y, w)> for every x and y: the adjoint.
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 4, 9, 9)), rng.normal(size=(6, 2, 3, 2))
    options = {"stride": 2, "padding": 1, "dilation": (2, 1), "groups": 2}
    y = conv2d(tensor(x), tensor(w), **options).to_numpy()
    g = rng.normal(size=y.shape)
    back = conv_transpose2d(tensor(g), tensor(w), output_padding=(0, 1), **options).to_numpy()
    assert back.shape == x.shape
    assert float((y * g).sum()) == pytest.approx(float((x * back).sum()), rel=1e-12)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_plain_backend_runs_no_numba_kernel(name: str, monkeypatch) -> None:
    # The plain backend's convolution is the loop in tensor_ops, never the fused kernel.
    import minitorch.fast_conv as fast_conv

    def refuse(*args, **kwargs):
        raise AssertionError("the fused kernel ran")

    if name == "simple":
        monkeypatch.setattr(fast_conv, "tensor_conv", refuse)
        monkeypatch.setattr(fast_conv, "max_pool_kernel", refuse)
    x = tensor(np.ones((1, 2, 4, 4)), backend=BACKENDS[name], requires_grad=True)
    out = minitorch.nn.max_pool2d(
        conv2d(x, minitorch.ones((2, 2, 2, 2), backend=BACKENDS[name])), 2
    )
    out.sum().backward()
    assert out.shape == (1, 2, 1, 1)


def test_gradients_flow_through_a_composition() -> None:
    # conv -> relu -> conv -> sum: both weights receive a gradient of the right shape.
    rng = np.random.default_rng(2)
    x = tensor(rng.normal(size=(2, 3, 6)))
    w1 = tensor(rng.normal(size=(4, 3, 3)), requires_grad=True)
    w2 = tensor(rng.normal(size=(2, 4, 2)), requires_grad=True)
    conv1d(conv1d(x, w1).relu(), w2).sum().backward()
    assert w1.grad is not None and w1.grad.shape == (4, 3, 3)
    assert w2.grad is not None and w2.grad.shape == (2, 4, 2)


def test_no_grad_records_nothing() -> None:
    x = tensor(np.ones((1, 1, 3)), requires_grad=True)
    with minitorch.no_grad():
        out = conv1d(x, tensor([[[1.0]]]))
    assert not out.requires_grad


# ------------------------------------------------------------------- bad input
def zeros(*shape: int) -> minitorch.Tensor:
    return minitorch.zeros(shape)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: conv1d(zeros(2, 3, 10), zeros(8, 4, 3)),
            ShapeError,
            "conv1d: input has 3 channels but weight expects 4 x groups 1 = 4 "
            "(input (2, 3, 10), weight (8, 4, 3))",
        ),
        (
            lambda: conv2d(zeros(1, 4, 5, 5), zeros(3, 2, 3, 3), groups=2),
            ShapeError,
            "out_channels 3 (the weight's first dimension) must divide by groups 2",
        ),
        (
            lambda: conv1d(zeros(10), zeros(8, 3, 3)),
            ShapeError,
            "conv1d: input must have 3 dimensions (batch x in_channels x width) or 2",
        ),
        (
            lambda: conv1d(zeros(2, 3, 10), zeros(8, 3)),
            ShapeError,
            "weight must have 3 dimensions",
        ),
        (lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3)), ShapeError, "weight must have 4"),
        (lambda: conv1d(zeros(2, 3, 0), zeros(8, 3, 3)), ShapeError, "at least 1"),
        (lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3, 0)), ShapeError, "at least 1"),
        (
            lambda: conv1d(zeros(1, 1, 4), zeros(1, 1, 3), dilation=2),
            ShapeError,
            "conv1d: the output would be empty: size (4,) with padding ((0, 0),) is smaller "
            "than the dilated kernel (5,)",
        ),
        (
            lambda: conv1d(zeros(1, 1, 4), zeros(1, 1, 3), stride=0),
            ArgumentError,
            "stride must be positive, got 0",
        ),
        (
            lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), padding=-1),
            ArgumentError,
            "padding must be non-negative, got -1",
        ),
        (
            lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), padding=((0, -1), (1, 1))),
            ArgumentError,
            "non-negative",
        ),
        (
            lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), padding=((0, 1),)),
            ArgumentError,
            "one (before, after) pair per spatial dimension (2)",
        ),
        (
            lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), stride=(1, 2, 3)),
            ArgumentError,
            "stride must be an int or 2 int(s)",
        ),
        (lambda: conv1d(zeros(1, 1, 4), zeros(1, 1, 3), stride=1.5), ArgumentError, "got 1.5"),
        (lambda: conv1d(zeros(1, 1, 4), zeros(1, 1, 3), dilation=True), ArgumentError, "got True"),
        (
            lambda: conv1d(zeros(1, 2, 4), zeros(1, 1, 3), groups=0),
            ArgumentError,
            "groups must be a positive integer, got 0",
        ),
        (lambda: conv1d(zeros(1, 2, 4), zeros(1, 1, 3), groups=2.0), ArgumentError, "groups"),
        (
            lambda: conv1d(zeros(1, 1, 4), zeros(1, 1, 3), padding="full"),
            ArgumentError,
            "'valid', 'same'",
        ),
        (
            lambda: conv2d(zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), stride=2, padding="same"),
            ArgumentError,
            "padding='same' needs stride 1",
        ),
        (
            lambda: conv1d(zeros(1, 1, 4), zeros(2, 1, 3), zeros(3)),
            ShapeError,
            "bias must have shape (2,)",
        ),
        (
            lambda: conv1d(zeros(1, 1, 4), zeros(2, 1, 3), [1.0, 2.0]),
            TypeError,
            "bias must be a Tensor",
        ),
        (
            lambda: conv_transpose1d(zeros(1, 2, 4), zeros(3, 1, 3)),
            ShapeError,
            "input has 2 channels but the weight's first dimension is 3",
        ),
        (
            lambda: conv_transpose2d(
                zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), stride=2, output_padding=2
            ),
            ArgumentError,
            "output_padding must be smaller than either stride or dilation",
        ),
        (
            lambda: conv_transpose1d(zeros(1, 1, 1), zeros(1, 1, 1), padding=1),
            ShapeError,
            "the output would be empty",
        ),
        (
            lambda: conv_transpose1d(zeros(1, 1, 3), zeros(1, 1, 2), padding="same"),
            ArgumentError,
            "padding must be an int",
        ),
        (
            lambda: conv1d(zeros(1, 1, 3), [[[1.0]]]),
            TypeError,
            "conv1d: weight must be a Tensor, got list",
        ),
    ],
)
def test_bad_arguments_raise_typed_errors(call, error, message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
