"""The public conv1d / conv2d: the chapter's numbers, a NumPy reference, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given, settings

import minitorch
from conv_reference import conv1d as np_conv1d
from conv_reference import conv1d_grads, conv2d_grads, conv_case, strided_tensor
from conv_reference import conv2d as np_conv2d
from minitorch import ShapeError, conv1d, conv2d, tensor
from strategies import BACKENDS, gradcheck

# Sums of at most a few hundred products of N(0, 1) numbers: float64 rounding is ~1e-14.
RTOL = 1e-10
ATOL = 1e-10


def close(actual: minitorch.Tensor, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual.to_numpy(), expected, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------ the chapter's examples
def test_chapter_1d_example() -> None:
    out = conv1d(tensor([[[1, 2, 3, 4, 5, 6]]]), tensor([[[5, 2, 3]]]))
    assert out.to_numpy().reshape(-1).tolist() == [18, 28, 38, 48, 37, 30]


def test_chapter_backward_example_three_cells() -> None:
    # input[2] feeds output[0], output[1] and output[2], through weight[2], [1] and [0].
    w0, w1, w2 = 5.0, 2.0, 3.0
    d = [1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]
    x = tensor([[[1, 2, 3, 4, 5, 6]]], requires_grad=True)
    conv1d(x, tensor([[[w0, w1, w2]]])).backward(tensor([[d]]))
    assert x.grad is not None
    assert x.grad[0, 0, 2] == w0 * d[2] + w1 * d[1] + w2 * d[0]


def test_kernel_wider_than_input_reads_zeros() -> None:
    out = conv1d(tensor([[[1, 2, 3]]]), tensor([[[1, 1, 1, 1, 1]]]))
    assert out.to_numpy().reshape(-1).tolist() == [6, 5, 3]
    image = tensor([[[[1, 2], [3, 4]]]])
    out2 = conv2d(image, minitorch.ones((1, 1, 4, 3)))
    assert out2.to_numpy().reshape(2, 2).tolist() == [[10, 6], [7, 4]]


def test_conv2d_is_anchored_top_left() -> None:
    image = np.zeros((1, 1, 4, 4))
    image[0, 0, 2, 3] = 1.0
    weight = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    out = conv2d(tensor(image), tensor(weight)).to_numpy()[0, 0]
    # out[h, w] = weight[2 - h, 3 - w] where that tap exists: the pixel is seen by
    # windows whose top-left corner is above and to the left of it.
    expected = np.zeros((4, 4))
    for kh in range(2):
        for kw in range(3):
            if 2 - kh >= 0 and 3 - kw >= 0:
                expected[2 - kh, 3 - kw] = weight[0, 0, kh, kw]
    np.testing.assert_array_equal(out, expected)


# ------------------------------------------------------- against the NumPy reference
@settings(max_examples=25, deadline=None)
@given(conv_case(dims=1))
def test_conv1d_forward_and_gradients_match_numpy(case: dict) -> None:
    x = strided_tensor(case["x"], case["x_order"], requires_grad=True)
    w = strided_tensor(case["w"], case["w_order"], requires_grad=True)
    out = conv1d(x, w)
    close(out, np_conv1d(case["x"], case["w"]))
    out.backward(strided_tensor(case["g"], case["g_order"]))
    grad_input, grad_weight = conv1d_grads(case["x"], case["w"], case["g"])
    assert x.grad is not None and w.grad is not None
    close(x.grad, grad_input)
    close(w.grad, grad_weight)


@settings(max_examples=25, deadline=None)
@given(conv_case(dims=2))
def test_conv2d_forward_and_gradients_match_numpy(case: dict) -> None:
    x = strided_tensor(case["x"], case["x_order"], requires_grad=True)
    w = strided_tensor(case["w"], case["w_order"], requires_grad=True)
    out = conv2d(x, w)
    close(out, np_conv2d(case["x"], case["w"]))
    out.backward(strided_tensor(case["g"], case["g_order"]))
    grad_input, grad_weight = conv2d_grads(case["x"], case["w"], case["g"])
    assert x.grad is not None and w.grad is not None
    close(x.grad, grad_input)
    close(w.grad, grad_weight)


def test_numpy_reference_agrees_with_the_definition() -> None:
    # The reference itself, against the formula written as plain loops.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 5))
    w = rng.normal(size=(4, 3, 7))
    expected = np.zeros((2, 4, 5))
    for b, o, t, i, k in np.ndindex(2, 4, 5, 3, 7):
        if t + k < 5:
            expected[b, o, t] += w[o, i, k] * x[b, i, t + k]
    np.testing.assert_allclose(np_conv1d(x, w), expected, rtol=1e-12)
    x2 = rng.normal(size=(1, 2, 3, 4))
    w2 = rng.normal(size=(2, 2, 2, 5))
    expected2 = np.zeros((1, 2, 3, 4))
    for b, o, h, c, i, kh, kw in np.ndindex(1, 2, 3, 4, 2, 2, 5):
        if h + kh < 3 and c + kw < 4:
            expected2[b, o, h, c] += w2[o, i, kh, kw] * x2[b, i, h + kh, c + kw]
    np.testing.assert_allclose(np_conv2d(x2, w2), expected2, rtol=1e-12)


# ------------------------------------------------------------ central differences
@pytest.mark.parametrize("name", list(BACKENDS))
def test_conv1d_gradcheck_every_element(name: str) -> None:
    rng = np.random.default_rng(0)
    gradcheck(
        conv1d, rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 3, 3)), backend=BACKENDS[name]
    )
    # a kernel wider than the input
    gradcheck(
        conv1d, rng.normal(size=(1, 2, 2)), rng.normal(size=(3, 2, 4)), backend=BACKENDS[name]
    )


@pytest.mark.parametrize("name", list(BACKENDS))
def test_conv2d_gradcheck_every_element(name: str) -> None:
    rng = np.random.default_rng(1)
    gradcheck(
        conv2d,
        rng.normal(size=(2, 2, 4, 3)),
        rng.normal(size=(3, 2, 2, 3)),
        backend=BACKENDS[name],
    )
    gradcheck(
        conv2d,
        rng.normal(size=(1, 1, 2, 2)),
        rng.normal(size=(2, 1, 3, 1)),
        backend=BACKENDS[name],
    )


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
@pytest.mark.parametrize(
    ("op", "x_shape", "w_shape", "message"),
    [
        (
            conv1d,
            (2, 3, 10),
            (8, 4, 3),
            "conv1d: input has 3 channels but weight expects 4 "
            "(input (2, 3, 10), weight (8, 4, 3))",
        ),
        (
            conv2d,
            (1, 2, 5, 5),
            (3, 1, 3, 3),
            "conv2d: input has 2 channels but weight expects 1",
        ),
        (
            conv1d,
            (3, 10),
            (8, 3, 3),
            "conv1d: input must have 3 dimensions (batch x in_channels x width), "
            "got shape (3, 10)",
        ),
        (
            conv1d,
            (2, 3, 10),
            (8, 3),
            "conv1d: weight must have 3 dimensions "
            "(out_channels x in_channels x kernel_width), got shape (8, 3)",
        ),
        (
            conv2d,
            (2, 3, 10),
            (8, 3, 3, 3),
            "conv2d: input must have 4 dimensions (batch x in_channels x height x width)",
        ),
        (
            conv2d,
            (1, 1, 4, 4),
            (1, 1, 3),
            "conv2d: weight must have 4 dimensions",
        ),
        (
            conv1d,
            (2, 3, 0),
            (8, 3, 3),
            "conv1d: input has an empty dimension width",
        ),
        (
            conv2d,
            (1, 1, 4, 4),
            (0, 1, 3, 3),
            "conv2d: weight has an empty dimension out_channels",
        ),
        (
            conv2d,
            (1, 1, 4, 4),
            (1, 1, 3, 0),
            "conv2d: weight has an empty dimension kernel_width",
        ),
    ],
)
def test_bad_shapes_raise_shape_error(op, x_shape, w_shape, message: str) -> None:
    x = minitorch.zeros(x_shape)
    w = minitorch.zeros(w_shape)
    with pytest.raises(ShapeError) as info:
        op(x, w)
    assert message in str(info.value)


def test_non_tensor_raises_type_error() -> None:
    with pytest.raises(TypeError, match="conv1d: weight must be a Tensor, got list"):
        conv1d(minitorch.zeros((1, 1, 3)), [[[1.0]]])  # type: ignore[arg-type]
