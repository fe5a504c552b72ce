"""The exercise checker: right solutions pass, each typical wrong one is caught and named.

The solutions below are written the way a reader would write them (loops over
NumPy arrays), independently of the checker's own references.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from minitorch import exercises
from minitorch.exercises import ExerciseFailed, check, names

# --- Solutions a reader might write ----------------------------------------------


def conv1d_loop(
    x: np.ndarray,
    w: np.ndarray,
    read: Callable[[int, int, int], int] = lambda t, k, K: t + k,
    tap: Callable[[int, int], int] = lambda k, K: k,
    restart_per_channel: bool = False,
    length: Callable[[int, int], int] = lambda T, K: T,
) -> np.ndarray:
    """out[b, o, t] = sum_{i,k} w[o, i, tap(k)] x[b, i, read(t, k)], zero outside the input."""
    B, in_channels, T = x.shape
    out_channels, _, K = w.shape
    out = np.zeros((B, out_channels, length(T, K)))
    for b in range(B):
        for o in range(out_channels):
            for t in range(out.shape[2]):
                total = 0.0
                for i in range(in_channels):
                    if restart_per_channel:
                        total = 0.0
                    for k in range(K):
                        s = read(t, k, K)
                        if 0 <= s < T:
                            total += w[o, i, tap(k, K)] * x[b, i, s]
                out[b, o, t] = total
    return out


def conv1d_channels_summed_first(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sum the input channels and the weight's channels first, then convolve one channel."""
    return conv1d_loop(x.sum(axis=1, keepdims=True), w.sum(axis=1, keepdims=True))


def conv1d_backward_loop(
    x: np.ndarray,
    w: np.ndarray,
    g: np.ndarray,
    gather: Callable[[int, int], int] = lambda s, k: s - k,
    swap_weight_grad: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    B, in_channels, T = x.shape
    out_channels, _, K = w.shape
    grad_input = np.zeros_like(x)
    grad_weight = np.zeros_like(w)
    for b in range(B):
        for o in range(out_channels):
            for i in range(in_channels):
                for k in range(K):
                    for s in range(T):
                        t = gather(s, k)
                        if 0 <= t < T:
                            grad_input[b, i, s] += w[o, i, k] * g[b, o, t]
                        if s + k < T:
                            if swap_weight_grad:
                                grad_weight[o, i, k] += g[b, o, s + k] * x[b, i, s]
                            else:
                                grad_weight[o, i, k] += g[b, o, s] * x[b, i, s + k]
    return grad_input, grad_weight


def conv2d_padded(x: np.ndarray, w: np.ndarray, before: bool = False, flip: bool = False):
    """Pad after the end (or before the start), then slide the window with NumPy."""
    B, in_channels, H, W = x.shape
    out_channels, _, KH, KW = w.shape
    pad = (
        ((0, 0), (0, 0), (KH - 1, 0), (KW - 1, 0))
        if before
        else ((0, 0), (0, 0), (0, KH - 1), (0, KW - 1))
    )
    padded = np.pad(x, pad)
    if flip:
        w = w[:, :, ::-1, ::-1]
    out = np.zeros((B, out_channels, H, W))
    for h in range(H):
        for v in range(W):
            window = padded[:, :, h : h + KH, v : v + KW]
            out[:, :, h, v] = np.einsum("bijk,oijk->bo", window, w)
    return out


def conv2d_row_late(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Window one row too low: reads x[h + kh + 1]."""
    shifted = np.concatenate([x[:, :, 1:], np.zeros_like(x[:, :, :1])], axis=2)
    return conv2d_padded(shifted, w)


def output_size(n: int, k: int, padding: int, stride: int, dilation: int) -> int:
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    result = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        result[d] = result[d + 1] * shape[d + 1]
    return tuple(result)


def index_to_position(index: tuple[int, ...], strides: tuple[int, ...]) -> int:
    return sum(i * s for i, s in zip(index, strides, strict=True))


def permute(shape, strides, order):
    return tuple(shape[d] for d in order), tuple(strides[d] for d in order)


RIGHT = {
    "conv1d": conv1d_loop,
    "conv1d_backward": conv1d_backward_loop,
    "conv2d": conv2d_padded,
    "output_size": output_size,
    "strides": strides,
    "index_to_position": index_to_position,
    "permute": permute,
}


def test_names_include_the_required_exercises():
    assert set(names()) >= {"conv1d", "conv1d_backward", "conv2d", "output_size", "strides"}
    assert names() == sorted(names()) == sorted(RIGHT)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_a_right_solution_passes_with_one_line(name, capsys):
    check(name, RIGHT[name])
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and printed.startswith(f"{name}: all ")
    assert "cases pass" in printed


def test_a_solution_may_return_lists_or_tensors():
    class TensorLike:
        def __init__(self, array):
            self.array = array

        def to_numpy(self):
            return self.array

    check("conv1d", lambda x, w: conv1d_loop(x, w).tolist())
    check("conv1d", lambda x, w: TensorLike(conv1d_loop(x, w)))
    check("strides", lambda shape: list(strides(shape)))


def anchored_right(t: int, k: int, K: int) -> int:
    return t + k - (K - 1)


# (exercise, wrong solution, words the message must contain)
WRONG = {
    "window off by one (late)": (
        "conv1d",
        lambda x, w: conv1d_loop(x, w, read=lambda t, k, K: t + k + 1),
        "one position too late",
    ),
    "window off by one (early)": (
        "conv1d",
        lambda x, w: conv1d_loop(x, w, read=lambda t, k, K: t + k - 1),
        "one position too early",
    ),
    "zeros before the start": (
        "conv1d",
        lambda x, w: conv1d_loop(x, w, read=anchored_right),
        "zeros are on the wrong side",
    ),
    "flipped weight": (
        "conv1d",
        lambda x, w: conv1d_loop(x, w, tap=lambda k, K: K - 1 - k),
        "weight is flipped",
    ),
    "accumulator restarted per channel": (
        "conv1d",
        lambda x, w: conv1d_loop(x, w, restart_per_channel=True),
        "only the last input channel counts",
    ),
    "channels summed before multiplying": (
        "conv1d",
        conv1d_channels_summed_first,
        "channels are summed in the wrong place",
    ),
    "no padding": (
        "conv1d",
        lambda x, w: conv1d_loop(x, w, length=lambda T, K: T - K + 1),
        "added no zeros",
    ),
    "gradient anchored on the wrong side": (
        "conv1d_backward",
        lambda x, w, g: conv1d_backward_loop(x, w, g, gather=lambda s, k: s + k),
        "grad_input is anchored on the wrong side",
    ),
    "weight gradient anchored on the wrong side": (
        "conv1d_backward",
        lambda x, w, g: conv1d_backward_loop(x, w, g, swap_weight_grad=True),
        "grad_weight is anchored on the wrong side",
    ),
    "gradients in the wrong order": (
        "conv1d_backward",
        lambda x, w, g: conv1d_backward_loop(x, w, g)[::-1],
        "Expected grad_input of shape",
    ),
    "2D zeros before the start": (
        "conv2d",
        lambda x, w: conv2d_padded(x, w, before=True),
        "zeros are on the wrong side",
    ),
    "2D flipped weight": (
        "conv2d",
        lambda x, w: conv2d_padded(x, w, flip=True),
        "weight is flipped",
    ),
    "2D window a row too low": ("conv2d", conv2d_row_late, "one row too low"),
    "output size rounded up": (
        "output_size",
        lambda n, k, p, s, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,
        "you rounded up",
    ),
    "output size without dilation": (
        "output_size",
        lambda n, k, p, s, d: (n + 2 * p - k) // s + 1,
        "ignored the dilation",
    ),
    "output size as a float": (
        "output_size",
        lambda n, k, p, s, d: (n + 2 * p - d * (k - 1) - 1) / s + 1,
        "Return an int",
    ),
    "column-major strides": (
        "strides",
        lambda shape: tuple(reversed(strides(tuple(reversed(shape))))),
        "column-major",
    ),
    "index paired with reversed strides": (
        "index_to_position",
        lambda index, st: index_to_position(index, tuple(reversed(st))),
        "in reverse order",
    ),
    "permute keeps the strides": (
        "permute",
        lambda shape, st, order: (tuple(shape[d] for d in order), tuple(st)),
        "kept the original strides",
    ),
}


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_a_typical_mistake_is_caught_and_named(mistake):
    name, wrong, words = WRONG[mistake]
    with pytest.raises(ExerciseFailed) as caught:
        check(name, wrong)
    message = str(caught.value)
    assert message.startswith(f"{name}: case "), message
    assert "The input:" in message and "Expected" in message
    assert words in message, message


def test_the_message_shows_input_expected_yours_and_the_first_difference():
    with pytest.raises(ExerciseFailed) as caught:
        check("conv1d", lambda x, w: conv1d_loop(x, w, tap=lambda k, K: K - 1 - k))
    assert str(caught.value).splitlines()[2:] == [
        "The input:",
        "input [B=1, I=1, T=4]:",
        "[[[1, 2, 3, 4]]]",
        "weight [O=1, I=1, K=2]:",
        "[[[1, 10]]]",
        "Expected output:",
        "[[[21, 32, 43, 4]]]",
        "Your output:",
        "[[[12, 23, 34, 40]]]",
        "They first differ at output[0, 0, 0]: expected 21, yours is 12 (4 of 4 numbers differ).",
        "Likely cause: your weight is flipped: you used weight[o, i, K - 1 - k] where the book's "
        "convolution uses weight[o, i, k] (no flip).",
    ]


def test_an_unexplained_mistake_still_names_the_position():
    def one_wrong_number(x, w):
        out = conv1d_loop(x, w)
        if out.shape == (2, 1, 4):
            out[1, 0, 3] += 1
        return out

    with pytest.raises(ExerciseFailed) as caught:
        check("conv1d", one_wrong_number)
    message = str(caught.value)
    assert "first differ at output[1, 0, 3]" in message and "(1 of 8 numbers differ)" in message
    assert "Likely cause" not in message


def test_the_edge_cases_the_chapter_warns_about_are_among_the_cases():
    shapes = [(x.shape, w.shape) for x, w in exercises._conv1d_cases()]
    assert any(w[2] > x[2] for x, w in shapes), "a kernel wider than the input"
    assert any(x[2] == 1 for x, w in shapes), "an input of width 1"
    assert any(w[2] == 1 for x, w in shapes), "a kernel of width 1"
    assert any(x[1] > 1 and w[0] > 1 for x, w in shapes), "several channels in and out"
    assert any(x[0] > 1 for x, w in shapes), "a batch"
    shapes2 = [(x.shape, w.shape) for x, w in exercises._conv2d_cases()]
    assert any(w[2] > x[2] and w[3] > x[3] for x, w in shapes2)
    assert any(x[2:] == (1, 1) for x, w in shapes2)
    assert any(x[0] > 1 and x[1] > 1 for x, w in shapes2)


def test_a_function_that_raises_is_reported_with_its_input():
    def broken(x, w):
        return x[:, :, w.shape[2] + 10]

    with pytest.raises(ExerciseFailed) as caught:
        check("conv1d", broken)
    assert caught.value.args[0].startswith("conv1d: case 1 of 10 raised IndexError")
    assert "[[[1, 2, 3, 4]]]" in str(caught.value)
    assert isinstance(caught.value.__cause__, IndexError)


def test_a_solution_that_writes_into_its_input_does_not_change_the_next_case():
    def scribbles(x, w):
        out = conv1d_loop(x, w)
        x[...] = 0
        w[...] = 0
        return out

    check("conv1d", scribbles)


def test_an_unknown_name_lists_the_exercises():
    with pytest.raises(ValueError, match="conv1d_backward"):
        check("conv", conv1d_loop)


def test_the_checker_needs_only_numpy_and_the_standard_library():
    tree = ast.parse(Path(inspect.getfile(exercises)).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    assert imported <= {"__future__", "itertools", "collections", "dataclasses", "typing", "numpy"}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


# --- The checker's references agree with the library --------------------------------


def test_conv1d_reference_is_the_librarys_convolution_padded_after_the_end():
    import minitorch

    for x, w in exercises._conv1d_cases():
        K = w.shape[2]
        got = minitorch.conv1d(
            minitorch.from_numpy(x), minitorch.from_numpy(w), padding=((0, K - 1),)
        ).to_numpy()
        np.testing.assert_allclose(got, exercises._conv1d(x, w), rtol=1e-12, atol=1e-12)


def test_conv1d_backward_reference_is_the_librarys_gradient():
    import minitorch

    for x, w, g in exercises._conv1d_backward_cases():
        K = w.shape[2]
        tx = minitorch.from_numpy(x).requires_grad_(True)
        tw = minitorch.from_numpy(w).requires_grad_(True)
        out = minitorch.conv1d(tx, tw, padding=((0, K - 1),))
        (out * minitorch.from_numpy(g)).sum().backward()
        grad_input, grad_weight = exercises._conv1d_backward(x, w, g)
        np.testing.assert_allclose(tx.grad.to_numpy(), grad_input, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tw.grad.to_numpy(), grad_weight, rtol=1e-12, atol=1e-12)


def test_conv2d_reference_is_the_librarys_convolution_padded_after_the_end():
    import minitorch

    for x, w in exercises._conv2d_cases():
        KH, KW = w.shape[2:]
        got = minitorch.conv2d(
            minitorch.from_numpy(x),
            minitorch.from_numpy(w),
            padding=((0, KH - 1), (0, KW - 1)),
        ).to_numpy()
        np.testing.assert_allclose(got, exercises._conv2d(x, w), rtol=1e-12, atol=1e-12)


def test_strides_reference_is_the_librarys():
    from minitorch.tensor_data import strides_from_shape

    for (shape,) in exercises._strides_cases():
        assert exercises._contiguous_strides(shape) == strides_from_shape(shape)


def test_output_size_reference_matches_the_formula():
    for n, k, p, s, d in exercises._output_size_cases():
        assert exercises._output_size(n, k, p, s, d) == output_size(n, k, p, s, d) >= 1
