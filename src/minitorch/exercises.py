"""Check your own solutions to the book's exercises.

Write the function an exercise asks for, then hand it to :func:`check`. It runs
your function on a range of inputs, from a small readable one to the edge cases
the book warns about (a kernel wider than the input, an input of width 1,
several channels, a batch of several inputs), and compares every answer with a
reference written as plain NumPy loops. When all agree it prints one line;
otherwise it raises :class:`ExerciseFailed`, whose message shows the first
input your function got wrong, the expected output and yours, where they first
differ and, when your output matches a common mistake, which one.

Only NumPy is needed, so this works in a notebook downloaded from the book.

>>> from minitorch.exercises import check, names
>>> names()
['conv1d', 'conv1d_backward', 'conv2d', 'index_to_position', 'output_size', 'permute', 'strides']
>>> def output_size(n, k, padding, stride, dilation):
...     return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
>>> check("output_size", output_size)
output_size: all 16 cases pass (padding, stride and dilation, alone and together).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ExerciseFailed", "check", "names"]

Array = npt.NDArray[np.float64]
# Relative and absolute tolerance: the references are exact sums of small
# integers or of float64 products, so anything beyond rounding is a real error.
RTOL = 1e-9
ATOL = 1e-9


class ExerciseFailed(AssertionError):  # noqa: N818 (the name the book and readers use)
    """A solution gave a wrong answer; the message says on which input and how."""


# --- References: plain NumPy loops, independent of the library ----------------


def _conv1d(x: Array, w: Array, shift: int = 0, flip: bool = False) -> Array:
    """``out[b, o, t] = sum_{i,k} w[o, i, k] * x[b, i, t + k + shift]``, zero outside.

    ``shift=0, flip=False`` is the book's convolution (same length, zeros after
    the end); other values describe common mistakes, used only for hints.
    """
    batch, in_channels, T = x.shape
    out_channels, _, K = w.shape
    out = np.zeros((batch, out_channels, T))
    for b, o, t, i, k in itertools.product(
        range(batch), range(out_channels), range(T), range(in_channels), range(K)
    ):
        s = t + k + shift
        if 0 <= s < T:
            out[b, o, t] += w[o, i, K - 1 - k if flip else k] * x[b, i, s]
    return out


def _conv1d_valid(x: Array, w: Array) -> Array:
    """No padding at all: the output shrinks to ``T - K + 1`` (a hint only)."""
    K = w.shape[2]
    T = x.shape[2]
    return _conv1d(x, w)[:, :, : max(T - K + 1, 0)]


def _conv1d_last_channel(x: Array, w: Array) -> Array:
    """The accumulator restarted for every input channel: only the last one counts."""
    return _conv1d(x[:, -1:], w[:, -1:])


def _conv1d_channel_sums(x: Array, w: Array) -> Array:
    """Channels summed separately: ``(sum_i w[o, i, k]) * (sum_i x[b, i, t + k])``."""
    return _conv1d(x.sum(axis=1, keepdims=True), w.sum(axis=1, keepdims=True))


def _conv1d_backward(
    x: Array, w: Array, g: Array, anchor: int = 1, flip: bool = False, swap: bool = False
) -> tuple[Array, Array]:
    """Gradients of :func:`_conv1d`: ``(grad_input, grad_weight)``.

    ``grad_input[b, i, s] = sum_{o,k} w[o, i, k] * g[b, o, s - k]``: input ``s``
    fed outputs ``t = s - k``, so its gradient looks back (``anchor=1``), and
    ``grad_weight[o, i, k] = sum_{b,t} g[b, o, t] * x[b, i, t + k]``. The other
    arguments describe common mistakes, used only for hints: ``anchor=-1``
    reuses the forward window unchanged, ``flip`` reverses the weight and
    ``swap`` pairs ``g[t + k]`` with ``x[t]``.
    """
    batch, in_channels, T = x.shape
    out_channels, _, K = w.shape
    grad_input = np.zeros_like(x)
    grad_weight = np.zeros_like(w)
    for b, o, t, i, k in itertools.product(
        range(batch), range(out_channels), range(T), range(in_channels), range(K)
    ):
        if t + k < T:
            grad_weight[o, i, k] += (
                g[b, o, t + k] * x[b, i, t] if swap else g[b, o, t] * x[b, i, t + k]
            )
        s = t - anchor * k
        if 0 <= s < T:
            grad_input[b, i, t] += w[o, i, K - 1 - k if flip else k] * g[b, o, s]
    return grad_input, grad_weight


def _conv2d(x: Array, w: Array, shift: tuple[int, int] = (0, 0), flip: bool = False) -> Array:
    """``out[b, o, h, v] = sum_{i,kh,kw} w[o, i, kh, kw] * x[b, i, h + kh, v + kw]``."""
    batch, in_channels, H, W = x.shape
    out_channels, _, KH, KW = w.shape
    out = np.zeros((batch, out_channels, H, W))
    for b, o, h, v, i, kh, kw in itertools.product(
        range(batch),
        range(out_channels),
        range(H),
        range(W),
        range(in_channels),
        range(KH),
        range(KW),
    ):
        r, c = h + kh + shift[0], v + kw + shift[1]
        if 0 <= r < H and 0 <= c < W:
            weight = w[o, i, KH - 1 - kh, KW - 1 - kw] if flip else w[o, i, kh, kw]
            out[b, o, h, v] += weight * x[b, i, r, c]
    return out


def _conv2d_valid(x: Array, w: Array) -> Array:
    H, W = x.shape[2:]
    KH, KW = w.shape[2:]
    return _conv2d(x, w)[:, :, : max(H - KH + 1, 0), : max(W - KW + 1, 0)]


def _output_size(n: int, k: int, padding: int, stride: int, dilation: int) -> int:
    """Count the window starts: a window spans ``dilation * (k - 1) + 1`` positions."""
    span = dilation * (k - 1) + 1
    return len(range(0, n + 2 * padding - span + 1, stride))


def _contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


# --- Cases --------------------------------------------------------------------


@dataclass(frozen=True)
class _Exercise:
    """What a function takes, how to make its inputs, and the reference answer."""

    signature: str
    arguments: Callable[[], list[tuple[Any, ...]]]
    reference: Callable[..., Any]
    describe: Callable[..., str]
    # (what the mistake is, the output it gives): a hint when the reader's output matches.
    mistakes: tuple[tuple[str, Callable[..., Any]], ...] = ()
    # Names of the outputs when the function returns a tuple.
    outputs: tuple[str, ...] = ("output",)
    spec: str = ""


def _ints(rng: np.random.Generator, *shape: int) -> Array:
    """Small nonzero integers as floats: exact arithmetic, easy to read."""
    values = rng.integers(1, 6, size=shape) * rng.choice([-1, 1], size=shape)
    return values.astype(np.float64)


def _conv1d_cases() -> list[tuple[Array, Array]]:
    rng = np.random.default_rng(11)
    cases = [
        # Readable first: out[t] = x[t] + 10 * x[t + 1], so mistakes show in the digits.
        (np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, 10.0]]])),
        (np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), np.array([[[1.0, 10.0, 100.0]]])),
    ]
    # (batch, in_channels, T, out_channels, K): kernel of width 1, input of width 1,
    # kernel wider than the input, several channels in and out, several inputs.
    for batch, in_channels, T, out_channels, K in [
        (1, 1, 5, 1, 1),
        (1, 1, 1, 1, 3),
        (1, 1, 3, 1, 5),
        (1, 2, 5, 1, 2),
        (1, 3, 6, 2, 3),
        (2, 1, 4, 1, 2),
        (3, 2, 7, 3, 4),
        (2, 3, 2, 2, 3),
    ]:
        cases.append((_ints(rng, batch, in_channels, T), _ints(rng, out_channels, in_channels, K)))
    return cases


def _conv1d_backward_cases() -> list[tuple[Array, Array, Array]]:
    rng = np.random.default_rng(12)
    cases = []
    for x, w in _conv1d_cases():
        cases.append((x, w, _ints(rng, x.shape[0], w.shape[0], x.shape[2])))
    return cases


def _conv2d_cases() -> list[tuple[Array, Array]]:
    rng = np.random.default_rng(13)
    cases = [
        # out[h, v] = x[h, v] + 10 x[h, v + 1] + 100 x[h + 1, v] + 1000 x[h + 1, v + 1]
        (
            np.arange(1.0, 10.0).reshape(1, 1, 3, 3),
            np.array([[[[1.0, 10.0], [100.0, 1000.0]]]]),
        ),
    ]
    # (batch, in_channels, H, W, out_channels, KH, KW)
    for batch, in_channels, H, W, out_channels, KH, KW in [
        (1, 1, 3, 4, 1, 1, 1),
        (1, 1, 1, 1, 1, 2, 2),
        (1, 1, 2, 3, 1, 3, 4),
        (1, 1, 4, 3, 1, 1, 2),
        (1, 1, 4, 3, 1, 2, 1),
        (1, 2, 3, 3, 1, 2, 2),
        (1, 3, 4, 5, 2, 2, 3),
        (2, 1, 3, 3, 1, 2, 2),
        (2, 2, 4, 4, 3, 3, 2),
    ]:
        cases.append(
            (_ints(rng, batch, in_channels, H, W), _ints(rng, out_channels, in_channels, KH, KW))
        )
    return cases


def _output_size_cases() -> list[tuple[int, int, int, int, int]]:
    # (n, k, padding, stride, dilation); every case has at least one output.
    return [
        (5, 3, 0, 1, 1),
        (5, 1, 0, 1, 1),
        (5, 5, 0, 1, 1),
        (5, 3, 1, 1, 1),
        (1, 3, 1, 1, 1),
        (3, 5, 1, 1, 1),
        (7, 3, 0, 2, 1),
        (8, 3, 0, 2, 1),
        (6, 2, 0, 2, 1),
        (10, 3, 0, 3, 1),
        (7, 3, 0, 1, 2),
        (9, 3, 2, 1, 2),
        (10, 2, 1, 3, 3),
        (28, 5, 2, 1, 1),
        (32, 3, 1, 2, 1),
        (224, 7, 3, 2, 1),
    ]


_SHAPES = [(5,), (2, 3), (3, 2), (2, 3, 4), (4, 1, 3), (1, 1), (2, 2, 2, 2), (3, 1, 5, 2)]


def _strides_cases() -> list[tuple[tuple[int, ...]]]:
    return [(shape,) for shape in _SHAPES]


def _index_to_position_cases() -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [
        ((1, 2), (3, 1)),
        ((2, 1), (1, 3)),
        ((0, 0), (3, 1)),
        ((4,), (1,)),
        ((1, 2, 3), (12, 4, 1)),
        ((1, 2, 3), (1, 2, 6)),
        ((2, 1), (0, 1)),
        ((1, 0, 2), (6, 0, 1)),
    ]


def _permute_cases() -> list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]:
    return [
        ((2, 3), (3, 1), (1, 0)),
        ((2, 3), (3, 1), (0, 1)),
        ((2, 3, 4), (12, 4, 1), (2, 0, 1)),
        ((2, 3, 4), (12, 4, 1), (1, 2, 0)),
        ((2, 3, 4), (1, 2, 6), (0, 2, 1)),
        ((5,), (1,), (0,)),
        ((2, 3, 4, 5), (60, 20, 5, 1), (3, 1, 0, 2)),
    ]


def _shape_text(name: str, array: Array, letters: str) -> str:
    sizes = ", ".join(
        f"{letter}={size}" for letter, size in zip(letters.split(), array.shape, strict=True)
    )
    return f"{name} [{sizes}]"


def _describe_conv1d(x: Array, w: Array) -> str:
    return (
        f"{_shape_text('input', x, 'B I T')}:\n{_show(x)}\n"
        f"{_shape_text('weight', w, 'O I K')}:\n{_show(w)}"
    )


def _describe_conv1d_backward(x: Array, w: Array, g: Array) -> str:
    return f"{_describe_conv1d(x, w)}\n{_shape_text('grad_output', g, 'B O T')}:\n{_show(g)}"


def _describe_conv2d(x: Array, w: Array) -> str:
    return (
        f"{_shape_text('input', x, 'B I H W')}:\n{_show(x)}\n"
        f"{_shape_text('weight', w, 'O I KH KW')}:\n{_show(w)}"
    )


def _describe_call(*arguments: Any) -> str:
    return "(" + ", ".join(repr(a) for a in arguments) + ")"


def _describe_output_size(n: int, k: int, padding: int, stride: int, dilation: int) -> str:
    return f"n={n}, k={k}, padding={padding}, stride={stride}, dilation={dilation}"


_CONV1D_SPEC = (
    "out[b, o, t] = sum over i and k of weight[o, i, k] * input[b, i, t + k], "
    "where input positions past the end count as 0, so the output has the input's length T"
)

_EXERCISES: dict[str, _Exercise] = {
    "conv1d": _Exercise(
        signature="conv1d(input [B, I, T], weight [O, I, K]) -> [B, O, T]",
        spec=_CONV1D_SPEC,
        arguments=_conv1d_cases,
        reference=_conv1d,
        describe=_describe_conv1d,
        mistakes=(
            (
                "your window starts one position too late: you read input[t + k + 1] "
                "instead of input[t + k]",
                lambda x, w: _conv1d(x, w, shift=1),
            ),
            (
                "your window starts one position too early: you read input[t + k - 1] "
                "instead of input[t + k]",
                lambda x, w: _conv1d(x, w, shift=-1),
            ),
            (
                "your zeros are on the wrong side: you padded before the start "
                "(out[t] ends its window at input[t]); the book's convolution starts "
                "its window at input[t] and pads after the end",
                lambda x, w: _conv1d(x, w, shift=1 - w.shape[2]),
            ),
            (
                "your weight is flipped: you used weight[o, i, K - 1 - k] where the "
                "book's convolution uses weight[o, i, k] (no flip)",
                lambda x, w: _conv1d(x, w, flip=True),
            ),
            (
                "only the last input channel counts: the sum over input channels i must "
                "accumulate, not start again for each channel",
                _conv1d_last_channel,
            ),
            (
                "channels are summed in the wrong place: you added up the input channels "
                "and the weight channels separately and then multiplied; multiply "
                "weight[o, i, k] by input[b, i, t + k] for each i, then sum",
                _conv1d_channel_sums,
            ),
            (
                "you added no zeros, so your output is T - K + 1 long; pad K - 1 zeros "
                "after the end to keep length T",
                _conv1d_valid,
            ),
        ),
    ),
    "conv1d_backward": _Exercise(
        signature=(
            "conv1d_backward(input [B, I, T], weight [O, I, K], grad_output [B, O, T]) "
            "-> (grad_input [B, I, T], grad_weight [O, I, K])"
        ),
        spec=(
            "the gradients of the 'conv1d' exercise's convolution: "
            "grad_input[b, i, s] = sum over o and k of weight[o, i, k] * grad_output[b, o, s - k] "
            "(0 where s - k < 0), and grad_weight[o, i, k] = sum over b and t of "
            "grad_output[b, o, t] * input[b, i, t + k] (0 where t + k >= T)"
        ),
        arguments=_conv1d_backward_cases,
        reference=_conv1d_backward,
        describe=_describe_conv1d_backward,
        outputs=("grad_input", "grad_weight"),
        mistakes=(
            (
                "your grad_input is anchored on the wrong side: input position s was read "
                "by the outputs t = s - k (windows that start at or before s), so its "
                "gradient gathers grad_output[s - k], not grad_output[s + k]",
                lambda x, w, g: _conv1d_backward(x, w, g, anchor=-1),
            ),
            (
                "your grad_input uses a flipped weight: gather grad_output[s - k] with "
                "weight[o, i, k], not weight[o, i, K - 1 - k]",
                lambda x, w, g: _conv1d_backward(x, w, g, flip=True),
            ),
            (
                "your grad_weight is anchored on the wrong side: weight[o, i, k] multiplied "
                "input[t + k] to make out[t], so its gradient is the sum of "
                "grad_output[t] * input[t + k], not grad_output[t + k] * input[t]",
                lambda x, w, g: _conv1d_backward(x, w, g, swap=True),
            ),
        ),
    ),
    "conv2d": _Exercise(
        signature="conv2d(input [B, I, H, W], weight [O, I, KH, KW]) -> [B, O, H, W]",
        spec=(
            "out[b, o, h, w] = sum over i, kh, kw of weight[o, i, kh, kw] * "
            "input[b, i, h + kh, w + kw], where positions below the bottom or past the "
            "right edge count as 0, so the output has the input's height and width"
        ),
        arguments=_conv2d_cases,
        reference=_conv2d,
        describe=_describe_conv2d,
        mistakes=(
            (
                "your window is one row too low: you read input[h + kh + 1, ...]",
                lambda x, w: _conv2d(x, w, shift=(1, 0)),
            ),
            (
                "your window is one column too far right: you read input[..., w + kw + 1]",
                lambda x, w: _conv2d(x, w, shift=(0, 1)),
            ),
            (
                "your zeros are on the wrong side: you padded above and to the left; the "
                "book's convolution starts its window at input[h, w] and pads below and "
                "to the right",
                lambda x, w: _conv2d(x, w, shift=(1 - w.shape[2], 1 - w.shape[3])),
            ),
            (
                "your weight is flipped: you used weight[o, i, KH - 1 - kh, KW - 1 - kw] "
                "where the book's convolution uses weight[o, i, kh, kw] (no flip)",
                lambda x, w: _conv2d(x, w, flip=True),
            ),
            (
                "only the last input channel counts: the sum over input channels i must "
                "accumulate, not start again for each channel",
                lambda x, w: _conv2d(x[:, -1:], w[:, -1:]),
            ),
            (
                "channels are summed in the wrong place: you added up the input channels "
                "and the weight channels separately and then multiplied",
                lambda x, w: _conv2d(x.sum(axis=1, keepdims=True), w.sum(axis=1, keepdims=True)),
            ),
            (
                "you added no zeros, so your output shrinks by KH - 1 rows and KW - 1 "
                "columns; pad after the end in both directions to keep H x W",
                _conv2d_valid,
            ),
        ),
    ),
    "output_size": _Exercise(
        signature="output_size(n, k, padding, stride, dilation) -> int",
        spec=(
            "the number of outputs of a convolution (or pooling) along one dimension of "
            "size n, with a kernel of size k, `padding` zeros on each side, windows "
            "`stride` apart and kernel taps `dilation` apart"
        ),
        arguments=_output_size_cases,
        reference=_output_size,
        describe=_describe_output_size,
        mistakes=(
            (
                "you ignored the dilation: a dilated kernel spans dilation * (k - 1) + 1 positions",
                lambda n, k, p, s, d: (n + 2 * p - (k - 1) - 1) // s + 1,
            ),
            (
                "you counted the padding on one side only: there are `padding` zeros on each side",
                lambda n, k, p, s, d: (n + p - d * (k - 1) - 1) // s + 1,
            ),
            (
                "you rounded up: a window that would run past the padded input is not "
                "computed, so divide by the stride rounding down",
                lambda n, k, p, s, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,
            ),
            (
                "you forgot the + 1: the first window also counts",
                lambda n, k, p, s, d: (n + 2 * p - d * (k - 1) - 1) // s,
            ),
            (
                "you divided the whole padded length by the stride: only the room left "
                "after the first window is divided, (n + 2p - span) // stride, then + 1",
                lambda n, k, p, s, d: (n + 2 * p) // s - d * (k - 1),
            ),
        ),
    ),
    "strides": _Exercise(
        signature="strides(shape) -> tuple of ints",
        spec=(
            "the strides of a contiguous (row-major) tensor of that shape: the last "
            "dimension has stride 1 and each stride is the product of the sizes to its right"
        ),
        arguments=_strides_cases,
        reference=_contiguous_strides,
        describe=lambda shape: f"shape={shape!r}",
        mistakes=(
            (
                "these are column-major strides (the first dimension varies fastest); "
                "row-major means the LAST dimension has stride 1",
                lambda shape: tuple(reversed(_contiguous_strides(tuple(reversed(shape))))),
            ),
            (
                "each stride includes its own dimension's size: a stride is the product of "
                "the sizes strictly to its right",
                lambda shape: tuple(
                    s * n for s, n in zip(_contiguous_strides(shape), shape, strict=True)
                ),
            ),
        ),
    ),
    "index_to_position": _Exercise(
        signature="index_to_position(index, strides) -> int",
        spec="the storage position of index: sum over d of index[d] * strides[d]",
        arguments=_index_to_position_cases,
        reference=lambda index, strides: sum(i * s for i, s in zip(index, strides, strict=True)),
        describe=lambda index, strides: f"index={index!r}, strides={strides!r}",
        mistakes=(
            (
                "you paired the index with the strides in reverse order: index[d] goes "
                "with strides[d]",
                lambda index, strides: sum(
                    i * s for i, s in zip(index, reversed(strides), strict=True)
                ),
            ),
            (
                "you assumed contiguous strides: use the strides you are given, a "
                "permuted or broadcast tensor has others",
                lambda index, strides: sum(
                    i * s
                    for i, s in zip(
                        index, _contiguous_strides([max(index) + 1] * len(index)), strict=True
                    )
                ),
            ),
        ),
    ),
    "permute": _Exercise(
        signature="permute(shape, strides, order) -> (new_shape, new_strides)",
        spec=(
            "the shape and strides of the view whose dimension d is the original "
            "dimension order[d]; nothing is copied, so the strides move with their sizes"
        ),
        arguments=_permute_cases,
        reference=lambda shape, strides, order: (
            tuple(shape[d] for d in order),
            tuple(strides[d] for d in order),
        ),
        describe=lambda shape, strides, order: (
            f"shape={shape!r}, strides={strides!r}, order={order!r}"
        ),
        outputs=("new_shape", "new_strides"),
        mistakes=(
            (
                "you kept the original strides: a view must carry each dimension's "
                "stride along with its size",
                lambda shape, strides, order: (tuple(shape[d] for d in order), tuple(strides)),
            ),
            (
                "you recomputed contiguous strides for the new shape: that describes a "
                "copy, not a view of the same storage",
                lambda shape, strides, order: (
                    tuple(shape[d] for d in order),
                    _contiguous_strides([shape[d] for d in order]),
                ),
            ),
            (
                "you applied the inverse permutation: new dimension d is old dimension "
                "order[d], so new_shape[d] = shape[order[d]]",
                lambda shape, strides, order: (
                    tuple(shape[d] for d in np.argsort(order)),
                    tuple(strides[d] for d in np.argsort(order)),
                ),
            ),
        ),
    ),
}

_COVERS = {
    "conv1d": "a kernel of width 1, an input of width 1, a kernel wider than the input, "
    "several channels, batches of 2 and 3",
    "conv2d": "a 1 x 1 kernel, a 1 x 1 input, a kernel larger than the input, several "
    "channels, batches of 2",
    "output_size": "padding, stride and dilation, alone and together",
    "strides": "one to four dimensions and dimensions of size 1",
    "index_to_position": "contiguous, permuted and broadcast (stride 0) strides",
    "permute": "the identity, transposes and cycles of up to four dimensions",
}
_COVERS["conv1d_backward"] = _COVERS["conv1d"]


def names() -> list[str]:
    """The names of the exercises :func:`check` can check, sorted.

    >>> "conv1d" in names()
    True
    """
    return sorted(_EXERCISES)


def check(name: str, function: Callable[..., Any]) -> None:
    """Run ``function`` on every case of exercise ``name`` and compare with the reference.

    Args:
        name: one of :func:`names`, for example ``"conv1d"``.
        function: your solution. It receives NumPy arrays (or ints and tuples,
            as the exercise says) and may return NumPy arrays, nested lists or
            MiniTorch tensors.

    Raises:
        ExerciseFailed: on the first case your function gets wrong, or raises on,
            with that case's input, the expected output, yours, where they first
            differ and, when your output is a common mistake's, which one.
        ValueError: ``name`` is not an exercise.

    >>> import numpy as np
    >>> def strides(shape):
    ...     return tuple(int(np.prod(shape[d + 1 :])) for d in range(len(shape)))
    >>> check("strides", strides)
    strides: all 8 cases pass (one to four dimensions and dimensions of size 1).
    >>> check("strides", lambda shape: tuple(reversed(strides(tuple(reversed(shape))))))
    Traceback (most recent call last):
    ...
    minitorch.exercises.ExerciseFailed: strides: case 2 of 8 is wrong.
    ...

    """
    if name not in _EXERCISES:
        raise ValueError(f"no exercise named {name!r}; the exercises are {', '.join(names())}")
    exercise = _EXERCISES[name]
    cases = exercise.arguments()
    for number, arguments in enumerate(cases, start=1):
        expected = exercise.reference(*_copies(arguments))
        header = (
            f"{name}: case {number} of {len(cases)} is wrong.\n"
            f"The exercise: {exercise.signature}, {exercise.spec}.\n"
            f"The input:\n{exercise.describe(*arguments)}\n"
        )
        try:
            actual = function(*_copies(arguments))
        except Exception as error:
            raise ExerciseFailed(
                f"{name}: case {number} of {len(cases)} raised "
                f"{type(error).__name__}: {error}\n"
                f"The exercise: {exercise.signature}, {exercise.spec}.\n"
                f"The input:\n{exercise.describe(*arguments)}"
            ) from error
        problem = _judge(expected, actual, exercise.outputs)
        if problem is None:
            continue
        output, message = problem
        hint = _likely_mistake(exercise, function, arguments, actual, output, cases)
        raise ExerciseFailed(
            header + message + ("" if hint is None else f"\nLikely cause: {hint}.")
        )
    print(f"{name}: all {len(cases)} cases pass ({_COVERS[name]}).")


def _likely_mistake(
    exercise: _Exercise,
    function: Callable[..., Any],
    arguments: tuple[Any, ...],
    actual: Any,
    output: int,
    cases: list[tuple[Any, ...]],
) -> str | None:
    """The common mistake whose answers are the reader's, if one is.

    Several mistakes can give the same answer on one case (with a kernel of
    width 2, zeros before the start is a window one early), so when more than
    one matches the failing case, the one that matches on every case wins.
    """
    outputs = exercise.outputs
    matching = [
        (mistake, wrong)
        for mistake, wrong in exercise.mistakes
        if _same(_component(_safely(wrong, arguments), output, outputs), actual, output, outputs)
    ]
    if len(matching) > 1:
        answers = [_safely(function, case) for case in cases]
        everywhere = [
            (mistake, wrong)
            for mistake, wrong in matching
            if all(
                _same(_component(_safely(wrong, case), output, outputs), answer, output, outputs)
                for case, answer in zip(cases, answers, strict=True)
            )
        ]
        matching = everywhere or matching
    return matching[0][0] if matching else None


def _copies(arguments: tuple[Any, ...]) -> tuple[Any, ...]:
    """Fresh copies, so a function that writes into its input cannot spoil the next check."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in arguments)


def _safely(function: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
    try:
        return function(*_copies(arguments))
    except Exception:
        # A reader's function, or a mistake's formula, that cannot answer this case.
        return None


def _component(value: Any, output: int, outputs: tuple[str, ...]) -> Any:
    if len(outputs) == 1 or value is None:
        return value
    return value[output]


def _same(wrong: Any, actual: Any, output: int, outputs: tuple[str, ...]) -> bool:
    """Whether a mistake's answer is the reader's answer (for the failing output)."""
    if wrong is None:
        return False
    try:
        mine = _component(actual, output, outputs)
    except (TypeError, IndexError, KeyError):
        return False
    return _compare(wrong, mine, "") is None


def _as_array(value: Any) -> Array | None:
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    """Ints and tuples of ints as Python values; anything else unchanged."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (tuple, list, np.ndarray)):
        return tuple(_plain(v) for v in value)
    return value


def _judge(expected: Any, actual: Any, outputs: tuple[str, ...]) -> tuple[int, str] | None:
    """None when ``actual`` is right; else (which output is wrong, why in words)."""
    if len(outputs) == 1:
        problem = _compare(expected, actual, outputs[0])
        return None if problem is None else (0, problem)
    if not isinstance(actual, (tuple, list)) or len(actual) != len(outputs):
        return 0, (
            f"Expected a tuple ({', '.join(outputs)}), but your function returned {_show(actual)}."
        )
    for output, (name, want, got) in enumerate(zip(outputs, expected, actual, strict=True)):
        problem = _compare(want, got, name)
        if problem is not None:
            return output, problem
    return None


def _compare(expected: Any, actual: Any, name: str) -> str | None:
    if isinstance(expected, np.ndarray):
        return _compare_arrays(expected, actual, name)
    if isinstance(expected, int):
        if isinstance(actual, bool) or not isinstance(actual, (int, np.integer)):
            kind = type(actual).__name__
            return (
                f"Expected the int {expected}; your function returned {actual!r} (a {kind}). "
                "Return an int (// divides rounding down and keeps ints)."
            )
        if int(actual) != expected:
            return f"Expected {name} {expected}; yours is {int(actual)}."
        return None
    mine = _plain(actual)
    if mine != expected:
        return f"Expected {name} {expected!r}; yours is {mine!r}."
    return None


def _compare_arrays(expected: Array, actual: Any, name: str) -> str | None:
    array = _as_array(actual)
    letters = ", ".join(str(n) for n in expected.shape)
    if array is None:
        return (
            f"Expected {name} as an array of shape ({letters}); your function returned "
            f"{type(actual).__name__} {actual!r}, which is not an array of numbers."
        )
    if array.shape != expected.shape:
        return (
            f"Expected {name} of shape {expected.shape}:\n{_show(expected)}\n"
            f"Your {name} has shape {array.shape}:\n{_show(array)}"
        )
    wrong = ~np.isclose(array, expected, rtol=RTOL, atol=ATOL)
    if not wrong.any():
        return None
    where = tuple(int(i) for i in np.argwhere(wrong)[0])
    return (
        f"Expected {name}:\n{_show(expected)}\n"
        f"Your {name}:\n{_show(array)}\n"
        f"They first differ at {name}[{', '.join(map(str, where))}]: expected "
        f"{_number(float(expected[where]))}, yours is {_number(float(array[where]))} "
        f"({int(wrong.sum())} of {wrong.size} numbers differ)."
    )


def _number(value: float) -> str:
    if np.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        formatter: Any = {"float_kind": _number}
        return np.array2string(value, separator=", ", formatter=formatter)
    return repr(value)
