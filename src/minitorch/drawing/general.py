"""Figures of the general convolution: padding, stride, dilation, fields, groups, zeros.

They cover the options of a convolution and the zeros a strided convolution's backward inserts.

Each function returns a :class:`~minitorch.drawing.canvas.Drawn` whose facts
are what the figure highlights. The highlighted cells are computed from the
indexing rule (output ``o`` reads input ``o * stride - padding + k * dilation``);
the tests check them against what autodiff says each output depends on, so a
figure cannot drift from the library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..convolution import conv1d, conv_transpose1d
from ..tensor import Tensor, tensor
from .canvas import (
    BLUE,
    GREEN,
    MUTED,
    ORANGE,
    PAPER,
    PLAIN,
    PURPLE,
    SMALL,
    Diagram,
    Drawn,
    Tint,
    arrow,
    concat,
    fmt,
    label,
    name_left,
    numbering,
    rectangle,
    row,
    text_width,
)

# A short input and the chapter's weight, so that every number fits in a cell.
INPUT = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
WEIGHT = [5.0, 2.0, 3.0]


def window_positions(
    output: int, kernel: int, stride: int, padding: int, dilation: int
) -> tuple[int, ...]:
    """The input positions (in unpadded coordinates) that output cell ``output`` reads.

    >>> window_positions(1, 3, stride=2, padding=0, dilation=1)
    (2, 3, 4)
    >>> window_positions(0, 3, stride=1, padding=1, dilation=2)
    (-1, 1, 3)
    """
    start = output * stride - padding
    return tuple(start + k * dilation for k in range(kernel))


def _term(value: float) -> str:
    """A number in a written-out sum, negative ones in brackets: ``3×(-1)``."""
    return f"({fmt(value)})" if value < 0 else fmt(value)


def _conv(values: list[float], stride: int, padding: int, dilation: int) -> Tensor:
    return conv1d(
        tensor([[values]]), tensor([[WEIGHT]]), stride=stride, padding=padding, dilation=dilation
    )


# ---------------------------------------------------------------- conv_options
@dataclass(frozen=True)
class OptionsFacts:
    """What the ``conv_options`` figure shows: one highlighted window per setting.

    Attributes:
        settings: ``(stride, padding, dilation)`` of each panel, top to bottom.
        outputs: each panel's output, as the library computes it.
        cells: the output cell highlighted in each panel.
        windows: the input positions its window covers (negative or past the end: padding).

    """

    settings: tuple[tuple[int, int, int], ...]
    outputs: tuple[tuple[float, ...], ...]
    cells: tuple[int, ...]
    windows: tuple[tuple[int, ...], ...]


OPTION_PANELS = ((1, 1, 1, 0), (2, 0, 1, 1), (1, 0, 2, 1))  # stride, padding, dilation, cell


def draw_conv_options() -> Drawn[OptionsFacts]:
    """Padding, stride and dilation on the same input and weight, one panel each.

    >>> draw_conv_options().facts.windows
    ((-1, 0, 1), (2, 3, 4), (1, 3, 5))
    """
    T, K = len(INPUT), len(WEIGHT)
    parts: list[Diagram] = []
    settings, outputs, cells, windows = [], [], [], []
    top = 0.0
    for (stride, padding, dilation, chosen), tint in zip(
        OPTION_PANELS, (ORANGE, BLUE, GREEN), strict=True
    ):
        output = _conv(INPUT, stride, padding, dilation).to_numpy().reshape(-1).tolist()
        window = window_positions(chosen, K, stride, padding, dilation)
        padded = [0.0] * padding + INPUT + [0.0] * padding
        ghosts = [*range(padding), *range(padding + T, T + 2 * padding)]
        inp = row(padded, -padding, top + 0.9, {p + padding: tint for p in window}, ghosts)
        out = row(output, 0, top + 2.7, {chosen: tint})
        title = (
            f"stride={stride}, padding={padding}, dilation={dilation}: output length {len(output)}"
        )
        parts += [
            label(title, 3.5, top + 0.2, SMALL + 0.06),
            inp.diagram,
            numbering(inp, {(j,): str(j - padding) for j in range(len(padded))}),
            name_left("input", inp),
            out.diagram,
            name_left("output", out),
        ]
        # A frame around each cell of the window (a padding cell is grey, not tinted).
        for p in window:
            parts.append(inp.window((p + padding,), (p + padding,), tint, inset=0.04))
        # Thin arrows from each cell of the window to the output cell it feeds.
        end = out.centres[(chosen,)]
        for p in window:
            start = inp.centres[(p + padding,)]
            parts.append(
                arrow((start[0], start[1] + 0.5), (end[0], end[1] - 0.55), tint.edge, 0.16)
            )
        taps = " + ".join(
            f"{_term(WEIGHT[k])}×{_term(padded[p + padding])}" for k, p in enumerate(window)
        )
        parts.append(
            label(
                f"output[{chosen}] = {taps} = {fmt(output[chosen])}",
                out.right
                + 0.4
                + text_width(f"output[{chosen}] = {taps} = {fmt(output[chosen])}", SMALL) / 2,
                out.middle[1],
                SMALL,
            )
        )
        settings.append((stride, padding, dilation))
        outputs.append(tuple(output))
        cells.append(chosen)
        windows.append(window)
        top += 4.4
    facts = OptionsFacts(tuple(settings), tuple(outputs), tuple(cells), tuple(windows))
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------- receptive_field
@dataclass(frozen=True)
class FieldFacts:
    """What the ``receptive_field`` figure shows: the cells one top output depends on.

    Attributes:
        layers: ``(kernel, stride)`` of each convolution, bottom to top.
        lengths: the length of the input and of each layer's output.
        cell: the top output cell followed down.
        fields: per level (input first), the positions that cell depends on.

    """

    layers: tuple[tuple[int, int], ...]
    lengths: tuple[int, ...]
    cell: int
    fields: tuple[tuple[int, ...], ...]


FIELD_LAYERS = ((3, 1), (3, 2), (3, 1))
FIELD_INPUT = 16


def receptive_field(layers: tuple[tuple[int, int], ...]) -> int:
    """The receptive field of a stack of convolutions: ``1 + sum (k_l - 1) * prod_{j<l} s_j``.

    >>> receptive_field(((3, 1), (3, 2), (3, 1)))
    9
    """
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


def draw_receptive_field(cell: int = 1) -> Drawn[FieldFacts]:
    """How one output of three stacked convolutions grows its window down to the input.

    Each level's cells sit above the middle of what they read, so the field
    widens level by level; shaded cells are those the top cell depends on.

    >>> f = draw_receptive_field().facts
    >>> f.lengths, f.fields[0]
    ((16, 14, 6, 4), (2, 3, 4, 5, 6, 7, 8, 9, 10))
    """
    lengths = [FIELD_INPUT]
    for kernel, stride in FIELD_LAYERS:
        lengths.append((lengths[-1] - kernel) // stride + 1)
    # Fields from the top down, by the indexing rule: cells o read o * s ... o * s + k - 1.
    fields: list[tuple[int, ...]] = [(cell,)]
    for kernel, stride in reversed(FIELD_LAYERS):
        above = fields[0]
        fields.insert(0, tuple(range(above[0] * stride, above[-1] * stride + kernel)))
    size, gap = 0.6, 1.5
    parts: list[Diagram] = []
    centre, jump = 0.0, 1.0  # where cell 0 of a level sits, and its spacing, in input cells
    tints: tuple[Tint, ...] = (ORANGE, BLUE, GREEN, PURPLE)
    names = ["input", *(f"conv k={k}, s={s}" for k, s in FIELD_LAYERS)]
    for level, length in enumerate(lengths):
        y = (len(lengths) - 1 - level) * gap
        for j in range(length):
            x = (centre + j * jump) * size * 1.2
            lit = j in fields[level]
            parts.append(
                rectangle(
                    x,
                    y,
                    size,
                    size,
                    tints[level].fill if lit else PAPER,
                    tints[level].edge if lit else PLAIN.edge,
                )
            )
        parts.append(
            label(names[level], -0.4 - text_width(names[level], SMALL) / 2, y + size / 2, SMALL)
        )
        parts.append(
            label(
                f"{len(fields[level])} of {length}",
                (centre + (length - 1) * jump) * size * 1.2
                + size
                + 0.5
                + text_width("99 of 99", SMALL) / 2,
                y + size / 2,
                SMALL,
                MUTED,
            )
        )
        if level < len(FIELD_LAYERS):
            kernel, stride = FIELD_LAYERS[level]
            centre += (kernel - 1) / 2 * jump
            jump *= stride
    facts = FieldFacts(FIELD_LAYERS, tuple(lengths), cell, tuple(fields))
    return Drawn(concat(parts), facts)


# ----------------------------------------------------------------------- groups
@dataclass(frozen=True)
class GroupsFacts:
    """What the ``groups`` figure shows: which input channels feed which output channels.

    Attributes:
        channels: the number of input and of output channels.
        groups: the ``groups`` of each panel.
        connected: per panel, ``connected[o][i]`` is True where output channel ``o``
            reads input channel ``i`` (a non-zero block of the equivalent dense weight).
        parameters: the weight's number of elements in each panel (kernel width 1).

    """

    channels: int
    groups: tuple[int, ...]
    connected: tuple[tuple[tuple[bool, ...], ...], ...]
    parameters: tuple[int, ...]


GROUP_PANELS = (1, 2, 6)
GROUP_CHANNELS = 6


def draw_groups() -> Drawn[GroupsFacts]:
    """The dense equivalent of a full, a 2-group and a depthwise weight: blocks on the diagonal.

    >>> f = draw_groups().facts
    >>> f.parameters, sum(map(sum, f.connected[1]))
    ((36, 18, 6), 18)
    """
    C = GROUP_CHANNELS
    size = 0.45
    parts: list[Diagram] = []
    connected, parameters = [], []
    left = 0.0
    for groups, tint in zip(GROUP_PANELS, (BLUE, GREEN, ORANGE), strict=True):
        per_group = C // groups
        mask = tuple(tuple(o // per_group == i // per_group for i in range(C)) for o in range(C))
        for o in range(C):
            for i in range(C):
                fill = tint.fill if mask[o][i] else PAPER
                parts.append(
                    rectangle(left + i * size, o * size, size, size, fill, PLAIN.edge, 0.015)
                )
        for g in range(groups):
            corner = g * per_group * size
            parts.append(
                rectangle(
                    left + corner,
                    corner,
                    per_group * size,
                    per_group * size,
                    None,
                    tint.edge,
                    0.06,
                )
            )
        name = {1: "groups=1 (full)", C: f"groups={C} (depthwise)"}.get(groups, f"groups={groups}")
        middle = left + C * size / 2
        parts.append(label(name, middle, -0.45, SMALL + 0.04))
        parts.append(label("input channel i →", middle, C * size + 0.4, SMALL, MUTED))
        parts.append(label(f"{C * per_group} weights", middle, C * size + 0.95, SMALL))
        connected.append(mask)
        parameters.append(C * per_group)
        left += C * size + 2.2
    parts.append(label("output channel o ↓", -1.6, C * size / 2, SMALL, MUTED))
    facts = GroupsFacts(C, GROUP_PANELS, tuple(connected), tuple(parameters))
    return Drawn(concat(parts), facts)


# --------------------------------------------------------------- zero_insertion
@dataclass(frozen=True)
class ZeroInsertionFacts:
    """What the ``zero_insertion`` figure shows: ``grad_input`` of a stride-2 convolution.

    Attributes:
        grad_output: ``d``, one value per output of the strided convolution.
        spread: ``d`` with ``stride - 1`` zeros between its cells and ``K - 1`` zeros
            on each side (the zeros are ghost cells).
        grad_input: as the library's autodiff computes it.
        cell: the ``grad_input`` cell explained.
        window: the positions of ``spread`` its window covers.
        outputs: the outputs whose ``d`` lies in that window (the others are inserted zeros).

    """

    grad_output: tuple[float, ...]
    spread: tuple[float, ...]
    grad_input: tuple[float, ...]
    cell: int
    window: tuple[int, ...]
    outputs: tuple[int, ...]


ZERO_GRAD_OUTPUT = [1.0, -1.0, 2.0]


def strided_input_gradient(grad_output: list[float], stride: int = 2) -> np.ndarray:
    """``grad_input`` of ``conv1d(INPUT, WEIGHT, stride=stride)`` for the given ``grad_output``.

    >>> strided_input_gradient([1.0, -1.0, 2.0]).tolist()
    [5.0, 2.0, -2.0, -2.0, 7.0, 4.0, 6.0]
    """
    x = tensor([[INPUT]], requires_grad=True)
    (conv1d(x, tensor([[WEIGHT]]), stride=stride) * tensor([[grad_output]])).sum().backward()
    assert x.grad is not None
    return x.grad.to_numpy().reshape(-1)


def draw_zero_insertion(cell: int = 4) -> Drawn[ZeroInsertionFacts]:
    """The backward of a stride-2 convolution: zeros between the ``d`` cells, then a plain window.

    >>> f = draw_zero_insertion().facts
    >>> f.window, f.outputs, f.grad_input[f.cell]
    ((4, 5, 6), (1, 2), 7.0)
    """
    stride, K, T = 2, len(WEIGHT), len(INPUT)
    d = ZERO_GRAD_OUTPUT
    grad_input = strided_input_gradient(d, stride)
    inserted: list[float] = []
    for n, value in enumerate(d):
        inserted += [value] + ([0.0] * (stride - 1) if n < len(d) - 1 else [])
    # Enough zeros after the last d for every input position to get a full window.
    after = T - len(inserted)
    spread = [0.0] * (K - 1) + inserted + [0.0] * after
    real = {K - 1 + stride * n: n for n in range(len(d))}
    # grad_input[t] = sum_k w[k] * inserted[t - k]: the window over spread ends at t + K - 1.
    window = tuple(range(cell, cell + K))
    outputs = tuple(real[p] for p in window if p in real)
    top = row(d, 0, 0, {n: PURPLE for n in outputs})
    middle = row(
        spread,
        0,
        2.2,
        {p: PURPLE for p in window if p in real},
        [p for p in range(len(spread)) if p not in real],
    )
    bottom = row(grad_input.tolist(), K - 1, 5.0, {cell: GREEN})
    reversed_weight = row(WEIGHT[::-1], cell, 3.3, {k: ORANGE for k in range(K)}, size=1.0)
    parts: list[Diagram] = [
        top.diagram,
        name_left("d = grad_output", top),
        numbering(top, {(n,): f"d[{n}]" for n in range(len(d))}),
        middle.diagram,
        name_left("d, zeros inserted", middle),
        middle.window((window[0],), (window[-1],), GREEN),
        reversed_weight.diagram,
        name_left("weight reversed", reversed_weight),
        bottom.diagram,
        name_left("grad_input", bottom),
        numbering(bottom, {(t,): str(t) for t in range(T)}),
    ]
    for p, n in real.items():
        start, end = top.centres[(n,)], middle.centres[(p,)]
        parts.append(arrow((start[0], start[1] + 0.5), (end[0], middle.y - 0.05), MUTED, 0.16))
    terms = " + ".join(
        f"{_term(WEIGHT[K - 1 - k])}×{_term(spread[p])}" for k, p in enumerate(window)
    )
    text = f"grad_input[{cell}] = {terms} = {fmt(grad_input[cell])}"
    parts.append(label(text, bottom.middle[0], bottom.bottom + 0.7, SMALL + 0.04))
    facts = ZeroInsertionFacts(
        tuple(d), tuple(spread), tuple(grad_input.tolist()), cell, window, outputs
    )
    return Drawn(concat(parts), facts)


def transposed_gradient(grad_output: list[float], stride: int = 2) -> np.ndarray:
    """The same gradient by ``conv_transpose1d``, the library's public transposed convolution.

    >>> transposed_gradient([1.0, -1.0, 2.0]).tolist()
    [5.0, 2.0, -2.0, -2.0, 7.0, 4.0, 6.0]
    """
    # Weight layout in_channels x out_channels x K: the forward's channels swapped.
    out = conv_transpose1d(tensor([[grad_output]]), tensor([[WEIGHT]]), stride=stride)
    return out.to_numpy().reshape(-1)
