"""The convolution chapter's figures, each drawn from numbers the library computes.

Every function returns a :class:`~minitorch.drawing.canvas.Drawn`: the
diagram, and a small dataclass of the facts the figure shows (which cells
are highlighted, which value they produce), so that the tests can check a
figure against the library without reading its SVG.

The conventions are the book's: 1D input ``batch x in_channels x width``,
weight ``out_channels x in_channels x kernel_width``, anchored left with
zeros past the right edge; 2D anchored top-left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn, rng
from ..convolution import conv1d, conv2d
from ..datasets import load_digits
from ..examples.digits import DigitsCNN
from ..tensor import Tensor, from_numpy, tensor
from ..unroll import unroll1d
from .canvas import (
    BLUE,
    GREEN,
    MUTED,
    ORANGE,
    PLAIN,
    PURPLE,
    SMALL,
    Block,
    Drawn,
    Index,
    Tint,
    arrow,
    caption,
    concat,
    deck,
    fmt,
    grid,
    heatmap,
    label,
    name_above,
    name_left,
    numbering,
    rectangle,
    row,
    tensor_block,
    text_width,
)

# The chapter's running example.
EXAMPLE_INPUT = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
EXAMPLE_WEIGHT = [5.0, 2.0, 3.0]
# An upstream gradient for the backward figures: small whole numbers, none zero.
EXAMPLE_GRAD_OUTPUT = [1.0, -1.0, 2.0, 3.0, -2.0, 1.0]


def _integers(seed: int, shape: tuple[int, ...], choices: tuple[float, ...]) -> Tensor:
    """A tensor of small whole numbers drawn from ``choices`` by the library's seeded generator."""
    picks = rng.generator(seed).integers(0, len(choices), size=shape)
    return from_numpy(np.asarray(choices, dtype=np.float64)[picks])


def _product(weights: list[float], values: list[float]) -> str:
    """``5×5 + 2×6 + 3×0``: a weighted sum written out, negative numbers in brackets."""

    def term(v: float) -> str:
        return f"({fmt(v)})" if v < 0 else fmt(v)

    return " + ".join(f"{term(w)}×{term(v)}" for w, v in zip(weights, values, strict=True))


# --------------------------------------------------------------------- conv1d
@dataclass(frozen=True)
class Conv1dFacts:
    """What the ``conv1d`` figure shows.

    Attributes:
        input: the input sequence (length ``T``).
        weight: the weight (length ``K``).
        output: ``conv1d(input, weight)`` as the library computes it.
        position: ``t``, the output cell highlighted.
        window: the input positions highlighted, ``t .. t + K - 1``.
        ghosts: the positions of the window past the end, read as zeros.

    """

    input: tuple[float, ...]
    weight: tuple[float, ...]
    output: tuple[float, ...]
    position: int
    window: tuple[int, ...]
    ghosts: tuple[int, ...]


def draw_conv1d(position: int = 4) -> Drawn[Conv1dFacts]:
    """Input, weight and output of a 1D convolution, one output cell's window highlighted.

    Args:
        position: the output cell ``t`` whose window is drawn.

    >>> draw_conv1d().facts.window
    (4, 5, 6)

    """
    x, w = tensor(EXAMPLE_INPUT), tensor(EXAMPLE_WEIGHT)
    T, K = x.shape[0], w.shape[0]
    # The book's convolution: same length, zeros after the end.
    out = conv1d(x.view(1, 1, T), w.view(1, 1, K), padding=((0, K - 1),)).view(T)
    window = tuple(range(position, position + K))
    ghosts = tuple(p for p in window if p >= T)
    padded = [*EXAMPLE_INPUT, *([0.0] * (K - 1))]

    inp = row(padded, 0, 0, {p: ORANGE for p in window if p < T}, range(T, T + K - 1))
    weight = row(EXAMPLE_WEIGHT, position, 1.8, {k: BLUE for k in range(K)})
    output = row(out.to_numpy().tolist(), 0, 3.6, {position: ORANGE})
    start, end = weight.centres[(1,)], output.centres[(position,)]
    value = out[position]
    parts = [
        inp.diagram,
        numbering(inp, {(p,): str(p) for p in range(T + K - 1)}),
        name_left("input", inp),
        inp.window((position,), (position + K - 1,), ORANGE),
        weight.diagram,
        name_left("weight", weight),
        output.diagram,
        name_left("output", output),
        arrow((start[0], weight.bottom + 0.08), (end[0], output.y - 0.08), ORANGE.edge),
        caption(
            f"output[{position}] = {_product(EXAMPLE_WEIGHT, [padded[p] for p in window])}"
            f" = {fmt(value)}",
            inp.middle[0],
            output.bottom + 0.8,
        ).diagram,
    ]
    facts = Conv1dFacts(
        tuple(EXAMPLE_INPUT),
        tuple(EXAMPLE_WEIGHT),
        tuple(out.to_numpy().tolist()),
        position,
        window,
        ghosts,
    )
    return Drawn(concat(parts), facts)


# ----------------------------------------------------------------------- conv
@dataclass(frozen=True)
class SlidingFacts:
    """What the ``conv`` figure shows: windows of an image, each giving one output pixel.

    Attributes:
        image: the input image, ``height x width``.
        weight: the one weight used at every window, ``kernel_height x kernel_width``.
        output: ``conv2d(image, weight)`` as the library computes it.
        corners: the top-left corner of each highlighted window.
        windows: the image cells each window covers, in the order of ``corners``.

    """

    image: tuple[tuple[float, ...], ...]
    weight: tuple[tuple[float, ...], ...]
    output: tuple[tuple[float, ...], ...]
    corners: tuple[tuple[int, int], ...]
    windows: tuple[tuple[tuple[int, int], ...], ...]


def _rows(a: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in line) for line in a)


def draw_conv(
    corners: tuple[tuple[int, int], ...] = ((0, 0), (1, 3), (3, 1)),
) -> Drawn[SlidingFacts]:
    """A weight sliding over an image: three windows, one weight, three output pixels.

    Args:
        corners: the top-left corner of each window drawn (at most three).

    >>> draw_conv().facts.windows[1]
    ((1, 3), (1, 4), (2, 3), (2, 4))

    """
    image = _integers(11, (5, 5), (0.0, 1.0, 2.0, 3.0))
    weight = tensor([[1.0, 2.0], [0.0, -1.0]])
    H, W = image.shape
    KH, KW = weight.shape
    out = conv2d(
        image.view(1, 1, H, W), weight.view(1, 1, KH, KW), padding=((0, KH - 1), (0, KW - 1))
    ).view(H, W)
    tints = (ORANGE, BLUE, PURPLE)
    windows = tuple(
        tuple((i + u, j + v) for u in range(KH) for v in range(KW)) for i, j in corners
    )
    cell_tints = {c: t for t, w in zip(tints, windows, strict=False) for c in w}
    inp = grid(image.to_numpy().tolist(), 0, 0, cell_tints)
    kernel = grid(weight.to_numpy().tolist(), 6.5, 1.5, {})
    output = grid(out.to_numpy().tolist(), 11, 0, dict(zip(corners, tints, strict=False)))
    parts = [
        inp.diagram,
        name_above("image", inp),
        kernel.diagram,
        name_above("weight", kernel),
        label("the same weight", kernel.middle[0], kernel.bottom + 0.45, SMALL, MUTED),
        label("at every window", kernel.middle[0], kernel.bottom + 0.8, SMALL, MUTED),
        output.diagram,
        name_above("output", output),
        arrow((inp.right + 0.2, inp.middle[1]), (kernel.x - 0.2, inp.middle[1]), MUTED),
        arrow((kernel.right + 0.2, inp.middle[1]), (output.x - 0.2, inp.middle[1]), MUTED),
    ]
    values = image.to_numpy()
    w = weight.to_numpy().reshape(-1).tolist()
    for n, ((i, j), tint) in enumerate(zip(corners, tints, strict=False)):
        parts.append(inp.window((i, j), (i + KH - 1, j + KW - 1), tint))
        parts.append(output.window((i, j), (i, j), tint))
        terms = _product(w, [float(values[c]) for c in windows[n]])
        text = f"output[{i}, {j}] = {terms} = {fmt(out[i, j])}"
        parts.append(caption(text, output.right / 2, inp.bottom + 0.8 + 0.6 * n, tint).diagram)
    facts = SlidingFacts(
        _rows(image.to_numpy()),
        _rows(weight.to_numpy()),
        _rows(out.to_numpy()),
        tuple(corners),
        windows,
    )
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------------- convvec
@dataclass(frozen=True)
class UnrollFacts:
    """What the ``convvec`` figure shows: the unrolled input times the weight.

    Attributes:
        unrolled: ``unroll1d(input, K)``, one window a row.
        weight: the weight as a column.
        output: ``unrolled @ weight``, which equals ``conv1d(input, weight)``.
        position: the row highlighted.
        ghosts: the ``(row, column)`` cells of the unrolled input past the end (zeros).

    """

    unrolled: tuple[tuple[float, ...], ...]
    weight: tuple[float, ...]
    output: tuple[float, ...]
    position: int
    ghosts: tuple[tuple[int, int], ...]


def draw_convvec(position: int = 4) -> Drawn[UnrollFacts]:
    """The unrolled input (one window a row) times the weight column gives the output column.

    Args:
        position: the row (window) highlighted.

    >>> draw_convvec().facts.ghosts
    ((4, 2), (5, 1), (5, 2))

    """
    x, w = tensor(EXAMPLE_INPUT), tensor(EXAMPLE_WEIGHT)
    T, K = x.shape[0], w.shape[0]
    unrolled = unroll1d(x, K)
    out = unrolled @ w.view(K, 1)
    ghosts = tuple((t, k) for t in range(T) for k in range(K) if t + k >= T)
    padded = [*EXAMPLE_INPUT, *([0.0] * (K - 1))]
    window = range(position, position + K)
    inp = row(padded, 3.2, 0, {p: ORANGE for p in window if p < T}, range(T, T + K - 1))
    top = 2.2
    matrix = grid(
        unrolled.to_numpy().tolist(), 3.2, top, {(position, k): ORANGE for k in range(K)}, ghosts
    )
    weight = grid(
        [[v] for v in EXAMPLE_WEIGHT],
        matrix.right + 1.2,
        top + 1.5,
        {(k, 0): BLUE for k in range(K)},
    )
    column = grid(out.to_numpy().tolist(), weight.right + 1.2, top, {(position, 0): ORANGE})
    parts = [
        inp.diagram,
        name_left("input", inp),
        matrix.diagram,
        name_left(f"unroll1d(input, {K})", matrix, SMALL + 0.04),
        numbering(matrix, {(0, k): f"k={k}" for k in range(K)}),
        matrix.window((position, 0), (position, K - 1), ORANGE),
        label("@", (matrix.right + weight.x) / 2, matrix.middle[1], 0.5),
        weight.diagram,
        name_above("weight", weight),
        label("=", (weight.right + column.x) / 2, matrix.middle[1], 0.5),
        column.diagram,
        name_above("output", column),
        inp.window((position,), (position + K - 1,), ORANGE),
        label(
            f"row {position} is the window at t = {position}",
            matrix.middle[0],
            matrix.bottom + 0.6,
            SMALL,
            ORANGE.text,
        ),
    ]
    facts = UnrollFacts(
        _rows(unrolled.to_numpy()),
        tuple(EXAMPLE_WEIGHT),
        tuple(out.to_numpy().reshape(-1).tolist()),
        position,
        ghosts,
    )
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------- conv1d backward
def _conv1d_grads(d: list[float]) -> tuple[Tensor, Tensor]:
    """``grad_input`` and ``grad_weight`` of the example convolution for upstream gradient ``d``."""
    x = tensor(EXAMPLE_INPUT, requires_grad=True)
    w = tensor(EXAMPLE_WEIGHT, requires_grad=True)
    T, K = x.shape[0], w.shape[0]
    out = conv1d(x.view(1, 1, T), w.view(1, 1, K), padding=((0, K - 1),))
    out.backward(tensor(d).view(1, 1, T))
    assert x.grad is not None and w.grad is not None
    return x.grad, w.grad


@dataclass(frozen=True)
class BackwardFacts:
    """What the ``conv1dback`` figure shows: the input gradient as a convolution anchored right.

    Attributes:
        grad_output: ``d``, the gradient arriving at the output.
        weight: the weight (drawn reversed).
        grad_input: the input's gradient as the library's backward computes it.
        position: ``t``, the input gradient cell highlighted.
        window: the positions of ``d`` highlighted, ``t - K + 1 .. t``.
        ghosts: the positions of the window before the start, read as zeros.

    """

    grad_output: tuple[float, ...]
    weight: tuple[float, ...]
    grad_input: tuple[float, ...]
    position: int
    window: tuple[int, ...]
    ghosts: tuple[int, ...]


def draw_conv1dback(position: int = 2) -> Drawn[BackwardFacts]:
    """``grad_input[t]`` from ``d[t - K + 1 .. t]`` and the reversed weight.

    Args:
        position: the cell ``t`` of the input gradient that is explained.

    >>> draw_conv1dback().facts.window
    (0, 1, 2)

    """
    d, w = EXAMPLE_GRAD_OUTPUT, EXAMPLE_WEIGHT
    T, K = len(d), len(w)
    grad_input, _ = _conv1d_grads(d)
    window = tuple(range(position - K + 1, position + 1))
    ghosts = tuple(p for p in window if p < 0)
    shift = K - 1  # d[p] is drawn in column p + shift; the columns before hold zeros
    upstream = row(
        [*([0.0] * shift), *d],
        0,
        0,
        {p + shift: ORANGE for p in window if p >= 0},
        range(shift),
    )
    reversed_weight = row(w[::-1], position, 1.8, {k: BLUE for k in range(K)})
    gradient = row(grad_input.to_numpy().tolist(), shift, 3.6, {position: ORANGE})
    value = grad_input[position]
    symbolic = " + ".join(f"w[{k}]·d[{position - k}]" for k in range(K))
    numbers = _product(w, [d[position - k] if position - k >= 0 else 0.0 for k in range(K)])
    start, end = reversed_weight.centres[(1,)], gradient.centres[(position,)]
    parts = [
        upstream.diagram,
        numbering(upstream, {(c,): str(c - shift) for c in range(T + shift)}),
        name_left("grad_output d", upstream),
        upstream.window((position,), (position + K - 1,), ORANGE),
        reversed_weight.diagram,
        numbering(reversed_weight, {(k,): f"w[{K - 1 - k}]" for k in range(K)}),
        name_left("weight, reversed", reversed_weight),
        gradient.diagram,
        name_left("grad_input", gradient),
        arrow((start[0], reversed_weight.bottom + 0.08), (end[0], gradient.y - 0.08), ORANGE.edge),
        caption(
            f"grad_input[{position}] = {symbolic}", upstream.middle[0], gradient.bottom + 0.8
        ).diagram,
        caption(f"= {numbers} = {fmt(value)}", upstream.middle[0], gradient.bottom + 1.4).diagram,
    ]
    facts = BackwardFacts(
        tuple(d), tuple(w), tuple(grad_input.to_numpy().tolist()), position, window, ghosts
    )
    return Drawn(concat(parts), facts)


@dataclass(frozen=True)
class WeightGradFacts:
    """What the ``conv1dback2`` figure shows: one cell of the weight gradient.

    Attributes:
        input: the input sequence.
        grad_output: ``d``, the gradient arriving at the output.
        grad_weight: the weight's gradient as the library's backward computes it.
        tap: ``k``, the weight gradient cell highlighted.
        pairs: ``(input position, d position)`` multiplied together: ``(t + k, t)`` for every ``t``.

    """

    input: tuple[float, ...]
    grad_output: tuple[float, ...]
    grad_weight: tuple[float, ...]
    tap: int
    pairs: tuple[tuple[int, int], ...]


def draw_conv1dback2(tap: int = 1) -> Drawn[WeightGradFacts]:
    """``grad_weight[k]``: the input shifted by ``k`` against ``d``, multiplied and summed.

    Args:
        tap: the weight position ``k`` whose gradient is explained.

    >>> draw_conv1dback2().facts.pairs[:2]
    ((1, 0), (2, 1))

    """
    x, d, w = EXAMPLE_INPUT, EXAMPLE_GRAD_OUTPUT, EXAMPLE_WEIGHT
    T, K = len(x), len(w)
    _, grad_weight = _conv1d_grads(d)
    pairs = tuple((t + tap, t) for t in range(T))
    padded = [*x, *([0.0] * (K - 1))]
    inp = row(
        padded, 0, 0, {t + tap: ORANGE for t in range(T) if t + tap < T}, range(T, T + K - 1)
    )
    upstream = row(d, tap, 1.8, {t: PURPLE for t in range(T)})
    result = row(grad_weight.to_numpy().tolist(), 0, 3.6, {tap: GREEN})
    numbers = _product([padded[i] for i, _ in pairs], [d[t] for _, t in pairs])
    value = grad_weight[tap]
    start = (upstream.middle[0], upstream.bottom + 0.08)
    end = (result.centres[(tap,)][0], result.y - 0.48)
    parts = [
        inp.diagram,
        numbering(inp, {(p,): str(p) for p in range(T + K - 1)}),
        name_left("input", inp),
        inp.window((tap,), (tap + T - 1,), ORANGE),
        upstream.diagram,
        name_left(f"d, shifted by k = {tap}", upstream),
        result.diagram,
        numbering(result, {(k,): f"k={k}" for k in range(K)}),
        name_left("grad_weight", result),
        arrow(start, end, GREEN.edge),
        caption(
            f"grad_weight[{tap}] = Σ_t input[t + {tap}]·d[t]", inp.middle[0], result.bottom + 0.8
        ).diagram,
        caption(f"= {numbers} = {fmt(value)}", inp.middle[0], result.bottom + 1.4).diagram,
    ]
    facts = WeightGradFacts(tuple(x), tuple(d), tuple(grad_weight.to_numpy().tolist()), tap, pairs)
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------------- channels
@dataclass(frozen=True)
class ChannelsFacts:
    """What the ``channels`` figure shows: one output cell of a multi-channel 1D convolution.

    Attributes:
        input: ``in_channels x T``.
        weight: ``out_channels x in_channels x K``.
        output: ``out_channels x T``, as the library computes it.
        cell: ``(o, t)``, the output cell highlighted.
        window: the input cells highlighted, ``(i, t + k)`` (columns past the end read as 0).
        weights: the weight cells highlighted, ``(o, i, k)``.

    """

    input: tuple[tuple[float, ...], ...]
    weight: tuple[tuple[tuple[float, ...], ...], ...]
    output: tuple[tuple[float, ...], ...]
    cell: tuple[int, int]
    window: tuple[tuple[int, int], ...]
    weights: tuple[tuple[int, int, int], ...]


def draw_channels(cell: tuple[int, int] = (1, 2)) -> Drawn[ChannelsFacts]:
    """in_channels = 2, out_channels = 3, K = 3, T = 8: weight ``o`` turns every window into row ``o``.

    Args:
        cell: ``(o, t)``, the output cell explained.

    >>> draw_channels().facts.window
    ((0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4))

    """
    in_channels, out_channels, K, T = 2, 3, 3, 8
    x = _integers(21, (in_channels, T), (0.0, 1.0, 2.0, 3.0))
    w = _integers(22, (out_channels, in_channels, K), (-1.0, 1.0, 2.0))
    out = conv1d(x.view(1, in_channels, T), w, padding=((0, K - 1),)).view(out_channels, T)
    o, t = cell
    window = tuple((i, t + k) for i in range(in_channels) for k in range(K))
    weights = tuple((o, i, k) for i in range(in_channels) for k in range(K))
    padded = np.concatenate([x.to_numpy(), np.zeros((in_channels, K - 1))], axis=1)
    ghosts = [(i, c) for i in range(in_channels) for c in range(T, T + K - 1)]
    inp = grid(padded.tolist(), 0, 0, {c: ORANGE for c in window if c[1] < T}, ghosts)
    stacks = []
    left = (T + K - 1 - (out_channels * K + (out_channels - 1) * 1.5)) / 2
    for n in range(out_channels):
        tints = {(i, k): BLUE for i in range(in_channels) for k in range(K)} if n == o else {}
        stacks.append(grid(w.to_numpy()[n].tolist(), left + n * (K + 1.5), 3.6, tints))
    output = grid(out.to_numpy().tolist(), 0, 7.2, {cell: ORANGE})
    chosen = stacks[o]
    parts = [
        inp.diagram,
        numbering(inp, {(0, c): str(c) for c in range(T + K - 1)}),
        name_left("input", inp),
        inp.window((0, t), (in_channels - 1, t + K - 1), ORANGE),
        *(s.diagram for s in stacks),
        *(name_above(f"weight[{n}]", s, SMALL + 0.04, 0.3) for n, s in enumerate(stacks)),
        output.diagram,
        name_left("output", output),
        arrow(
            (inp.centres[(1, t + 1)][0], inp.bottom + 0.08),
            (chosen.middle[0], chosen.y - 0.62),
            ORANGE.edge,
        ),
        arrow(
            (chosen.middle[0], chosen.bottom + 0.08),
            (output.centres[cell][0], output.corners[cell][1] - 0.04),
            ORANGE.edge,
        ),
        caption(
            f"output[{o}, {t}] = Σ_i Σ_k weight[{o}, i, k]·input[i, {t} + k] = {fmt(out[o, t])}",
            inp.middle[0],
            output.bottom + 0.8,
        ).diagram,
    ]
    facts = ChannelsFacts(
        _rows(x.to_numpy()),
        tuple(_rows(m) for m in w.to_numpy()),
        _rows(out.to_numpy()),
        cell,
        window,
        weights,
    )
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------ conv2d backward
@dataclass(frozen=True)
class Backward2dFacts:
    """What the ``backward`` figure shows: a 2D input gradient as a convolution anchored bottom-right.

    Attributes:
        grad_output: ``d``, ``height x width``.
        weight: ``kernel_height x kernel_width`` (drawn flipped).
        grad_input: the input's gradient as the library's backward computes it.
        cell: ``(h, w)``, the input gradient cell highlighted.
        window: the cells of ``d`` highlighted, ``(h - kh, w - kw)``; negative ones read as 0.

    """

    grad_output: tuple[tuple[float, ...], ...]
    weight: tuple[tuple[float, ...], ...]
    grad_input: tuple[tuple[float, ...], ...]
    cell: tuple[int, int]
    window: tuple[tuple[int, int], ...]


def draw_backward(cell: tuple[int, int] = (1, 2)) -> Drawn[Backward2dFacts]:
    """``grad_input[h, w]`` from the window of ``d`` that *ends* at ``(h, w)``, weight flipped.

    Args:
        cell: ``(h, w)``, the input gradient cell explained.

    >>> draw_backward().facts.window[:3]
    ((-1, 0), (-1, 1), (-1, 2))

    """
    H = W = 4
    KH = KW = 3
    d = _integers(31, (H, W), (-1.0, 1.0, 2.0, 3.0))
    weight = _integers(32, (KH, KW), (-1.0, 1.0, 2.0))
    x = tensor(np.zeros((1, 1, H, W)).tolist(), requires_grad=True)
    out = conv2d(x, weight.view(1, 1, KH, KW), padding=((0, KH - 1), (0, KW - 1)))
    out.backward(d.view(1, 1, H, W))
    assert x.grad is not None
    grad_input = x.grad.view(H, W)
    h, w = cell
    window = tuple((h - u, w - v) for u in reversed(range(KH)) for v in reversed(range(KW)))
    padded = np.zeros((H + KH - 1, W + KW - 1))
    padded[KH - 1 :, KW - 1 :] = d.to_numpy()
    ghosts = [
        (i, j) for i in range(H + KH - 1) for j in range(W + KW - 1) if i < KH - 1 or j < KW - 1
    ]
    # d[i, j] is drawn at (i + KH - 1, j + KW - 1): the window ending at (h, w) starts at (h, w).
    upstream = grid(
        padded.tolist(),
        0,
        0,
        {(i + KH - 1, j + KW - 1): ORANGE for i, j in window if i >= 0 and j >= 0},
        ghosts,
    )
    flipped = grid(
        weight.to_numpy()[::-1, ::-1].tolist(),
        upstream.right + 2.2,
        1.5,
        {(u, v): BLUE for u in range(KH) for v in range(KW)},
    )
    result = grid(grad_input.to_numpy().tolist(), flipped.right + 2.2, KH - 1, {cell: ORANGE})
    middle = upstream.middle[1]
    parts = [
        upstream.diagram,
        name_above("grad_output d, zeros above and left", upstream, SMALL + 0.04),
        upstream.window((h, w), (h + KH - 1, w + KW - 1), ORANGE),
        flipped.diagram,
        name_above("weight, flipped", flipped, SMALL + 0.04),
        result.diagram,
        name_above("grad_input", result, SMALL + 0.04),
        arrow((upstream.right + 0.2, middle), (flipped.x - 0.2, middle), MUTED),
        arrow((flipped.right + 0.2, middle), (result.x - 0.2, middle), MUTED),
        caption(
            f"grad_input[{h}, {w}] = Σ_kh Σ_kw weight[kh, kw]·d[{h} − kh, {w} − kw]"
            f" = {fmt(grad_input[h, w])}",
            (upstream.x + result.right) / 2,
            upstream.bottom + 0.8,
        ).diagram,
        caption(
            f"the window ends at ({h}, {w}): a convolution anchored bottom-right",
            (upstream.x + result.right) / 2,
            upstream.bottom + 1.4,
            ORANGE,
        ).diagram,
    ]
    facts = Backward2dFacts(
        _rows(d.to_numpy()), _rows(weight.to_numpy()), _rows(grad_input.to_numpy()), cell, window
    )
    return Drawn(concat(parts), facts)


# ---------------------------------------------------------------------- conv2
@dataclass(frozen=True)
class Conv2Facts:
    """What the ``conv2`` figure shows: one output cell of a multi-channel 2D convolution.

    Attributes:
        input: ``in_channels x H x W``.
        weight: ``out_channels x in_channels x KH x KW``.
        output: ``out_channels x H x W``, as the library computes it.
        cell: ``(o, h, w)``, the output cell highlighted.
        window: the input cells highlighted, ``(i, h + kh, w + kw)``.

    """

    input: tuple[tuple[tuple[float, ...], ...], ...]
    weight: tuple[tuple[tuple[tuple[float, ...], ...], ...], ...]
    output: tuple[tuple[tuple[float, ...], ...], ...]
    cell: tuple[int, int, int]
    window: tuple[tuple[int, int, int], ...]


def draw_conv2(cell: tuple[int, int, int] = (1, 1, 2)) -> Drawn[Conv2Facts]:
    """in_channels x H x W in, out_channels x H x W out: weight ``o`` reads every input channel.

    Args:
        cell: ``(o, h, w)``, the output cell explained.

    >>> draw_conv2().facts.window[:2]
    ((0, 1, 2), (0, 1, 3))

    """
    in_channels, out_channels, H, W, KH, KW = 2, 3, 4, 4, 2, 2
    x = _integers(41, (in_channels, H, W), (0.0, 1.0, 2.0, 3.0))
    w = _integers(42, (out_channels, in_channels, KH, KW), (-1.0, 1.0, 2.0))
    out = conv2d(x.view(1, in_channels, H, W), w, padding=((0, KH - 1), (0, KW - 1))).view(
        out_channels, H, W
    )
    o, h, c = cell
    window = tuple(
        (i, h + u, c + v) for i in range(in_channels) for u in range(KH) for v in range(KW)
    )
    gap = 0.8
    out_height = out_channels * H + (out_channels - 1) * gap
    in_height = in_channels * H + (in_channels - 1) * gap
    window_tints: dict[Index, Tint] = {p: ORANGE for p in window}
    inp = tensor_block(x, 0, (out_height - in_height) / 2, window_tints, gap=gap)
    w_height = in_channels * KH + (in_channels - 1) * gap
    stacks = []
    for n in range(out_channels):
        tints: dict[Index, Tint] = (
            {(i, u, v): BLUE for i in range(in_channels) for u in range(KH) for v in range(KW)}
            if n == o
            else {}
        )
        stacks.append(
            tensor_block(
                from_numpy(w.to_numpy()[n]),
                inp.right + 2.2 + n * (KW + 1.2),
                (out_height - w_height) / 2,
                tints,
                gap=gap,
            )
        )
    output = tensor_block(out, stacks[-1].right + 2.2, 0, {cell: ORANGE}, gap=gap)
    middle = out_height / 2
    parts = [inp.diagram, *(s.diagram for s in stacks), output.diagram]
    for i in range(in_channels):
        parts.append(inp.window((i, h, c), (i, h + KH - 1, c + KW - 1), ORANGE))
        parts.append(
            label(f"i = {i}", inp.x - 0.8, inp.centres[(i, H // 2, 0)][1] - 0.5, SMALL, MUTED)
        )
    for n in range(out_channels):
        parts.append(
            label(
                f"o = {n}",
                output.right + 0.8,
                output.centres[(n, H // 2, 0)][1] - 0.5,
                SMALL,
                MUTED,
            )
        )
        parts.append(name_above(f"weight[{n}]", stacks[n], SMALL, 0.3))
    parts += [
        name_above(f"input: {in_channels} x {H} x {W}", inp, SMALL + 0.04),
        name_above(f"output: {out_channels} x {H} x {W}", output, SMALL + 0.04),
        label(
            f"weight: {out_channels} x {in_channels} x {KH} x {KW}",
            (stacks[0].x + stacks[-1].right) / 2,
            stacks[0].y - 1.1,
            SMALL + 0.04,
        ),
        arrow((inp.right + 0.2, middle), (stacks[0].x - 0.2, middle), MUTED),
        arrow((stacks[-1].right + 0.2, middle), (output.x - 0.2, middle), MUTED),
        caption(
            f"output[{o}, {h}, {c}] = Σ_i Σ_kh Σ_kw weight[{o}, i, kh, kw]·"
            f"input[i, {h} + kh, {c} + kw] = {fmt(out[o, h, c])}",
            (inp.x + output.right) / 2,
            output.bottom + 0.8,
        ).diagram,
    ]
    facts = Conv2Facts(
        tuple(_rows(m) for m in x.to_numpy()),
        tuple(tuple(_rows(m) for m in block) for block in w.to_numpy()),
        tuple(_rows(m) for m in out.to_numpy()),
        cell,
        window,
    )
    return Drawn(concat(parts), facts)


# ----------------------------------------------------------------- networkcnn
# How many of a stage's channels the figure draws, as a stack of maps.
SHOWN_CHANNELS = 3


@dataclass(frozen=True)
class NetworkFacts:
    """What the ``networkcnn`` figure shows: one digit's way through ``DigitsCNN``.

    Attributes:
        digit: the label of the drawn image, the first training image of the digits.
        stages: each stage's layer and the shape of its output, input first.
        names: what the figure writes under each stage ("12 channels", "192
            features"), read from the stage's shape.
        scores: the class scores, those of ``DigitsCNN(seed=seed)`` in evaluation
            mode (seeded, untrained weights: not a prediction).

    """

    digit: int
    stages: tuple[tuple[str, tuple[int, ...]], ...]
    names: tuple[str, ...]
    scores: tuple[float, ...]


def stage_name(shape: tuple[int, ...]) -> str:
    """What a stage's output is, read from its shape: channels of maps, or features.

    >>> stage_name((1, 12, 8, 8)), stage_name((1, 1, 8, 8)), stage_name((1, 192))
    ('12 channels', '1 channel', '192 features')
    """
    if len(shape) == 4:
        return f"{shape[1]} channel{'' if shape[1] == 1 else 's'}"
    return f"{shape[1]} features"


def draw_networkcnn(seed: int = 0) -> Drawn[NetworkFacts]:
    """The digits page's ``DigitsCNN`` on one digit: a few maps of each stage, and its shape.

    The network is built with ``seed`` (the digits page's is 0) and run in
    evaluation mode, layer by layer with its own modules, on the first training
    image of :func:`~minitorch.datasets.load_digits`. Its weights are untrained:
    the figure shows how the data changes shape, not what the network learns.
    Each stack draws the first ``SHOWN_CHANNELS`` channels of its stage.

    >>> [shape for _, shape in draw_networkcnn().facts.stages]  # doctest: +NORMALIZE_WHITESPACE
    [(1, 1, 8, 8), (1, 12, 8, 8), (1, 12, 4, 4), (1, 48, 4, 4), (1, 48, 2, 2),
     (1, 192), (1, 10)]
    """
    data = load_digits()
    image = from_numpy(data.train_inputs.to_numpy()[:1])
    digit = int(data.train_labels.to_numpy()[0])
    model = DigitsCNN(seed=seed)
    model.eval()
    # DigitsCNN.forward, one layer at a time; the tests check the scores against it.
    steps = [("input", image)]
    steps.append(("conv1 + ReLU", model.conv1(steps[-1][1]).relu()))
    steps.append(("max_pool2d 2", nn.max_pool2d(steps[-1][1], 2)))
    steps.append(("conv2 + ReLU", model.conv2(steps[-1][1]).relu()))
    steps.append(("max_pool2d 2", nn.max_pool2d(steps[-1][1], 2)))
    pooled = steps[-1][1]
    steps.append(("flatten", pooled.contiguous().view(1, pooled.size)))
    flat = steps[-1][1]
    steps.append(("dropout + out", model.out(nn.dropout(flat, model.dropout, model.training))))
    stages = tuple((layer, value.shape) for layer, value in steps)
    names = (*(stage_name(shape) for _, shape in stages[:-1]), f"{stages[-1][1][1]} class scores")
    scores = steps[-1][1].to_numpy().reshape(-1).tolist()

    # One pixel is the same size in every map, so pooling visibly halves a map.
    size, shift, middle, feature = 0.35, 0.3, 3.0, 0.16
    blocks: list[Block] = []
    x = 0.0
    for (_, value), (layer, _) in zip(steps[:-1], steps[1:], strict=True):
        maps = value.to_numpy()[0]
        if maps.ndim == 3:
            cards = maps[:SHOWN_CHANNELS]
            height = cards.shape[1] * size + (len(cards) - 1) * shift
            block = deck(cards.tolist(), x, middle - height / 2, size, shift)
        else:
            # The flat vector in rows of 8 features, first feature top left.
            rows = maps.reshape(-1, 8)
            block = heatmap(rows.tolist(), x, middle - len(rows) * feature / 2, feature)
        blocks.append(block)
        x = block.right + max(text_width(layer, SMALL) + 0.5, 1.6)
    # The scores, one box per class, with the digit to their left.
    step = 0.38
    sx = x + 0.5
    top = middle - len(scores) * step / 2
    parts = [b.diagram for b in blocks]
    for n, score in enumerate(scores):
        y = top + n * step
        parts.append(rectangle(sx, y, 1.3, step, PLAIN.fill))
        parts.append(label(f"{score:.2f}", sx + 0.65, y + step / 2, SMALL))
        parts.append(label(str(n), sx - 0.3, y + step / 2, SMALL, MUTED))
    ends = [*(b.x for b in blocks[1:]), sx - 0.6]
    for b, end, (layer, _) in zip(blocks, ends, stages[1:], strict=True):
        parts.append(arrow((b.right + 0.15, middle), (end - 0.15, middle), MUTED))
        parts.append(label(layer, (b.right + end) / 2, middle - 0.4, SMALL, MUTED))
    below = middle + 2.6
    centres = [*(b.middle[0] for b in blocks), sx + 0.65]
    for centre, name, (_, shape) in zip(centres, names, stages, strict=True):
        parts.append(label(name, centre, below, SMALL + 0.04))
        parts.append(label(str(shape).replace(" ", ""), centre, below + 0.5, SMALL, MUTED))
    note = (
        f"a {digit} from the training set; each stack draws {SHOWN_CHANNELS} of its channels; "
        "seeded, untrained weights: the scores are not a prediction yet"
    )
    parts.append(label(note, (blocks[0].x + sx + 1.3) / 2, below + 1.3, SMALL, MUTED))
    facts = NetworkFacts(digit, stages, names, tuple(scores))
    return Drawn(concat(parts), facts)
