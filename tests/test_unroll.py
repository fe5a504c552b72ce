"""Unrolling: the chapter's matrix, and unrolled @ weight == the convolution kernel."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from conv_reference import strided_tensor
from minitorch import ArgumentError, ShapeError, tensor, unroll1d, unroll2d, unroll_channels


def test_chapter_unroll_and_matmul() -> None:
    x = tensor([1, 2, 3, 4, 5, 6])
    unrolled = unroll1d(x, 3)
    assert unrolled.to_numpy().tolist() == [
        [1, 2, 3],
        [2, 3, 4],
        [3, 4, 5],
        [4, 5, 6],
        [5, 6, 0],
        [6, 0, 0],
    ]
    out = (unrolled @ tensor([5, 2, 3]).view(3, 1)).view(6)
    assert out.to_numpy().tolist() == [18, 28, 38, 48, 37, 30]


def test_unroll1d_kernel_wider_than_input() -> None:
    assert unroll1d(tensor([1, 2]), 3).to_numpy().tolist() == [[1, 2, 0], [2, 0, 0]]


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 7),
    st.data(),
)
def test_unroll_channels_matmul_is_conv1d(
    batch: int, in_channels: int, out_channels: int, width: int, data: st.DataObject
) -> None:
    kernel_width = data.draw(st.integers(1, width + 2))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    x_np = rng.normal(size=(batch, in_channels, width))
    x = strided_tensor(x_np, data.draw(st.permutations(range(3))))
    weight = tensor(rng.normal(size=(out_channels, in_channels, kernel_width)))
    flat = weight.view(out_channels, in_channels * kernel_width).permute(1, 0)
    conv = minitorch.conv1d(x, weight, padding=((0, kernel_width - 1),)).to_numpy()
    for b in range(batch):
        # one sample as in_channels x width, itself a strided view when x is
        sample = strided_tensor(x_np[b], data.draw(st.permutations(range(2))))
        unrolled = unroll_channels(sample, kernel_width)
        assert unrolled.shape == (width, in_channels * kernel_width)
        np.testing.assert_allclose((unrolled @ flat).to_numpy(), conv[b].T, rtol=1e-10, atol=1e-12)
        if in_channels == 1:
            single = unroll1d(sample.contiguous().view(width), kernel_width)
            np.testing.assert_array_equal(single.to_numpy(), unrolled.to_numpy())


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(1, 5),
    st.data(),
)
def test_unroll2d_matmul_is_conv2d(
    in_channels: int, out_channels: int, height: int, width: int, data: st.DataObject
) -> None:
    kernel_height = data.draw(st.integers(1, height + 2))
    kernel_width = data.draw(st.integers(1, width + 2))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    x_np = rng.normal(size=(in_channels, height, width))
    x = strided_tensor(x_np, data.draw(st.permutations(range(3))))
    weight = tensor(rng.normal(size=(out_channels, in_channels, kernel_height, kernel_width)))
    unrolled = unroll2d(x, kernel_height, kernel_width)
    assert unrolled.shape == (height * width, in_channels * kernel_height * kernel_width)
    flat = weight.view(out_channels, in_channels * kernel_height * kernel_width).permute(1, 0)
    image = x.contiguous().view(1, in_channels, height, width)
    conv = minitorch.conv2d(image, weight, padding=((0, kernel_height - 1), (0, kernel_width - 1)))
    expected = conv.to_numpy()[0].reshape(out_channels, height * width).T
    np.testing.assert_allclose((unrolled @ flat).to_numpy(), expected, rtol=1e-10, atol=1e-12)


def test_unroll2d_columns_follow_the_weight_order() -> None:
    # Column (i * KH + kh) * KW + kw of row h * W + w holds x[i, h + kh, w + kw].
    x = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    unrolled = unroll2d(tensor(x), 2, 3).to_numpy()
    for h, w, i, kh, kw in np.ndindex(3, 4, 2, 2, 3):
        inside = h + kh < 3 and w + kw < 4
        expected = x[i, h + kh, w + kw] if inside else 0.0
        assert unrolled[h * 4 + w, (i * 2 + kh) * 3 + kw] == expected


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: unroll1d(tensor([[1.0]]), 2), ShapeError, "unroll1d: x must have 1 dimensions"),
        (lambda: unroll1d(tensor([1.0]), 0), ArgumentError, "unroll1d: kernel_width must be"),
        (
            lambda: unroll_channels(tensor([1.0, 2.0]), 2),
            ShapeError,
            "unroll_channels: x must have 2 dimensions (in_channels x width)",
        ),
        (
            lambda: unroll2d(tensor([[[1.0]]]), 1, 2.5),
            ArgumentError,
            "unroll2d: kernel_width must be a positive integer, got 2.5",
        ),
        (
            lambda: unroll2d(minitorch.zeros((1, 0, 3)), 1, 1),
            ShapeError,
            "unroll2d: x has an empty dimension",
        ),
    ],
)
def test_bad_arguments(call, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
