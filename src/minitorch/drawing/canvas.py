"""Drawing primitives: tensors as cells, grids and stacks of channels, windows, arrows, labels.

Every figure is laid out in *cell units* on a plane whose ``y`` grows
downwards: a cell is a ``1 x 1`` square and a block's ``(x, y)`` is its
top-left corner. Placing things by coordinates (rather than by chalk's
``hcat`` / ``vcat``) keeps every figure's geometry explicit, so a figure
knows where each cell is and can point an arrow at it.

Three facts about chalk 0.2.2 shape this module:

- colours must be :class:`colour.Color` objects, never strings;
- a style set on a composed diagram *overrides* the styles of its parts, so
  only single shapes are ever styled here;
- ``text`` takes no room in the layout, so :func:`label` puts an invisible
  strut of the text's estimated size under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import chalk
from chalk import Diagram
from colour import Color

from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor

Index = tuple[int, ...]
Point = tuple[float, float]

INK = Color("#1a1a1a")
EDGE = Color("#4d4d4d")
# Grey for what is not stored (ghost cells, index labels): 5.7:1 on white and
# 4.9:1 on GHOST, above the 4.5:1 that WCAG AA asks of text.
MUTED = Color("#666666")
PAPER = Color("#ffffff")
GHOST = Color("#ececec")

LINE = 0.03
BOLD = 0.09
FONT = 0.36
# The smallest text: 11.2 px at the figures' natural size (40 px a unit), the
# least a figure may show at a 1280-px window (the page never shrinks figures).
SMALL = 0.28
# A line of explanation under or over a part of a figure.
CAPTION = 0.34
# Average advance of a bold sans-serif glyph, as a fraction of the font size.
GLYPH = 0.62


Facts = TypeVar("Facts")


@dataclass(frozen=True)
class Drawn(Generic[Facts]):
    """What a figure function returns: the diagram, and the facts it shows.

    The facts are the numbers and indices the figure highlights, computed
    by the library, so that tests check what a figure shows without reading
    its SVG.
    """

    diagram: Diagram
    facts: Facts


@dataclass(frozen=True)
class Tint:
    """A highlight colour: a light cell ``fill``, a strong ``edge`` and a darker ``text``.

    The edge draws outlines and arrows; the text shade writes words in that colour.

    The palette's edges are too light for text (orange on white is 2.3:1); each
    ``text`` shade has at least 4.5:1 on white and on its own fill (WCAG AA).

    >>> ORANGE.edge.hex_l, ORANGE.text.hex_l
    ('#e69f00', '#855c00')
    """

    fill: Color
    edge: Color
    text: Color


# The Okabe-Ito palette, readable with every common colour-vision deficiency.
PLAIN = Tint(PAPER, EDGE, INK)
ORANGE = Tint(Color("#fbe3b3"), Color("#e69f00"), Color("#855c00"))
BLUE = Tint(Color("#cfe5f5"), Color("#0072b2"), Color("#0068a3"))
GREEN = Tint(Color("#c6ebdd"), Color("#009e73"), Color("#007052"))
PURPLE = Tint(Color("#f2d6e6"), Color("#cc79a7"), Color("#9e3c72"))
RED = Tint(Color("#f7d4c0"), Color("#d55e00"), Color("#9d4500"))
TINTS = (ORANGE, BLUE, GREEN, PURPLE, RED)


def fmt(value: float) -> str:
    """Print a cell value: whole numbers without decimals, others with two.

    >>> fmt(18.0), fmt(-0.0), fmt(0.4567), fmt(-1.5)
    ('18', '0', '0.46', '-1.50')
    """
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value))) if round(value) != 0 else "0"
    return f"{value:.2f}"


def concat(parts: Iterable[Diagram]) -> Diagram:
    """Draw the parts on top of each other, later ones in front.

    >>> concat([label("a", 0, 0), label("b", 1, 0)]).get_envelope().width > 1
    True
    """
    return chalk.concat(list(parts))


def label(text: str, x: float, y: float, size: float = FONT, colour: Color = INK) -> Diagram:
    """Text centred on ``(x, y)``, with a strut so that it takes room in the layout.

    Args:
        text: what to write.
        x: the centre, in cell units.
        y: the centre, in cell units.
        size: the font size in cell units.
        colour: the text colour.

    >>> round(label("weight", 0, 0).get_envelope().width, 2)
    1.34

    """
    width = GLYPH * size * len(text)
    room = chalk.strut(width, 1.4 * size)
    written = chalk.text(text, size).fill_color(colour).line_width_local(0)
    return (room + written).translate(x, y)


def rectangle(
    x: float,
    y: float,
    width: float,
    height: float,
    fill: Color | None = None,
    edge: Color = EDGE,
    line: float = LINE,
    dashed: bool = False,
) -> Diagram:
    """A rectangle with its top-left corner at ``(x, y)``; unfilled when ``fill`` is None.

    >>> rectangle(0, 0, 2, 1).get_envelope().width
    2.0
    """
    shape = chalk.rectangle(width, height).line_color(edge).line_width_local(line)
    shape = shape.fill_opacity(0) if fill is None else shape.fill_color(fill)
    if dashed:
        shape = shape.dashing([0.08, 0.06], 0)
    return shape.translate(x + width / 2, y + height / 2)


def cell(
    text: str,
    x: float,
    y: float,
    tint: Tint = PLAIN,
    ghost: bool = False,
    size: float = 1.0,
    font: float = FONT,
) -> Diagram:
    """One square cell with its value in it; a ``ghost`` cell is dashed and grey.

    Ghost cells stand for values that are not stored: a zero past the edge of
    an input, or a value that broadcasting repeats.

    >>> cell("5", 0, 0).get_envelope().height
    1.0
    """
    if ghost:
        square = rectangle(x, y, size, size, GHOST, MUTED, dashed=True)
        return square + label(text, x + size / 2, y + size / 2, font, MUTED)
    square = rectangle(x, y, size, size, tint.fill, EDGE)
    return square + label(text, x + size / 2, y + size / 2, font, INK)


def outline(
    x: float, y: float, width: float, height: float, tint: Tint, inset: float = 0.0
) -> Diagram:
    """A thick coloured frame around a window of cells (``inset`` shrinks it inwards).

    >>> outline(0, 0, 3, 1, ORANGE).get_envelope().width
    3.0
    """
    return rectangle(
        x + inset, y + inset, width - 2 * inset, height - 2 * inset, None, tint.edge, BOLD
    )


def arrow(start: Point, end: Point, colour: Color = INK, head: float = 0.22) -> Diagram:
    """A straight arrow from ``start`` to ``end`` with a filled triangular head.

    >>> arrow((0, 0), (2, 0)).get_envelope().width
    2.0
    """
    (x0, y0), (x1, y1) = start, end
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    if length == 0:
        raise ArgumentError(f"arrow: start and end are the same point {start}")
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x1 - head * ux, y1 - head * uy
    shaft = chalk.make_path([(x0, y0), (bx, by)]).line_color(colour).line_width_local(0.045)
    side = head * 0.45
    tip = [(x1, y1), (bx - side * uy, by + side * ux), (bx + side * uy, by - side * ux)]
    point = chalk.make_path([*tip, tip[0]], closed=True)
    return shaft + point.fill_color(colour).line_color(colour).line_width_local(0.01)


def heat(value: float, low: float, high: float) -> Color:
    """A colour from white (``low``) to deep blue (``high``) for a heat map.

    >>> heat(0.0, 0.0, 1.0).hex_l, heat(1.0, 0.0, 1.0).hex_l
    ('#ffffff', '#0a4f8a')
    """
    share = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    deep = (0x0A / 255, 0x4F / 255, 0x8A / 255)
    return Color(rgb=tuple(1.0 - share * (1.0 - c) for c in deep))


@dataclass(frozen=True)
class Block:
    """A drawn tensor: its diagram, its bounding box and the centre of each of its cells.

    Attributes:
        diagram: the chalk diagram.
        x: left edge, in cell units.
        y: top edge, in cell units.
        width: width in cell units.
        height: height in cell units.
        centres: the centre of each cell, by the tensor index it shows.
        corners: the top-left corner of each cell, by the tensor index it shows.

    """

    diagram: Diagram
    x: float
    y: float
    width: float
    height: float
    centres: Mapping[Index, Point] = field(default_factory=dict)
    corners: Mapping[Index, Point] = field(default_factory=dict)

    @property
    def right(self) -> float:
        """The right edge."""
        return self.x + self.width

    @property
    def bottom(self) -> float:
        """The bottom edge."""
        return self.y + self.height

    @property
    def middle(self) -> Point:
        """The centre of the bounding box."""
        return (self.x + self.width / 2, self.y + self.height / 2)

    def window(self, first: Index, last: Index, tint: Tint, inset: float = 0.0) -> Diagram:
        """A frame around the cells from index ``first`` to index ``last`` (both included).

        >>> b = grid([[1, 2], [3, 4]], 0, 0)
        >>> b.window((0, 0), (1, 1), ORANGE).get_envelope().width
        2.0
        """
        (x0, y0), (x1, y1) = self.corners[first], self.corners[last]
        size = self.cell_size
        return outline(x0, y0, x1 - x0 + size, y1 - y0 + size, tint, inset)

    @property
    def cell_size(self) -> float:
        """The side of one cell."""
        first = next(iter(self.corners.values()))
        centre = next(iter(self.centres.values()))
        return 2 * (centre[0] - first[0])


def row(
    values: Sequence[float],
    x: float,
    y: float,
    tints: Mapping[int, Tint] | None = None,
    ghost: Iterable[int] = (),
    size: float = 1.0,
    font: float = FONT,
) -> Block:
    """A 1D tensor as a row of cells, values written in them.

    Args:
        values: the numbers, one a cell.
        x: left edge.
        y: top edge.
        tints: highlight colours by position.
        ghost: positions drawn as ghost cells (dashed, grey).
        size: the side of a cell.
        font: the font size of the values.

    >>> b = row([1, 2, 3], 0, 0, {1: ORANGE})
    >>> b.width, b.centres[(2,)]
    (3.0, (2.5, 0.5))

    """
    return grid(
        [list(values)],
        x,
        y,
        {(0, j): t for j, t in (tints or {}).items()},
        [(0, j) for j in ghost],
        size,
        font,
        one_dim=True,
    )


def grid(
    values: Sequence[Sequence[float]],
    x: float,
    y: float,
    tints: Mapping[tuple[int, int], Tint] | None = None,
    ghost: Iterable[tuple[int, int]] = (),
    size: float = 1.0,
    font: float = FONT,
    one_dim: bool = False,
) -> Block:
    """A 2D tensor as a grid of cells, row ``i`` below row ``i - 1``.

    Args:
        values: the numbers, row by row.
        x: left edge.
        y: top edge.
        tints: highlight colours by ``(row, column)``.
        ghost: cells drawn as ghost cells (dashed, grey).
        size: the side of a cell.
        font: the font size of the values.
        one_dim: index the cells by ``(column,)`` (for :func:`row`).

    >>> grid([[1, 2, 3], [4, 5, 6]], 0, 0).height
    2.0

    """
    tints = tints or {}
    ghost = set(ghost)
    parts, centres, corners = [], {}, {}
    for i, line in enumerate(values):
        for j, value in enumerate(line):
            cx, cy = x + j * size, y + i * size
            key: Index = (j,) if one_dim else (i, j)
            parts.append(
                cell(
                    fmt(float(value)),
                    cx,
                    cy,
                    tints.get((i, j), PLAIN),
                    (i, j) in ghost,
                    size,
                    font,
                )
            )
            corners[key] = (cx, cy)
            centres[key] = (cx + size / 2, cy + size / 2)
    rows = len(values)
    cols = len(values[0]) if rows else 0
    return Block(concat(parts), x, y, float(cols * size), float(rows * size), centres, corners)


def heatmap(
    values: Sequence[Sequence[float]],
    x: float,
    y: float,
    size: float = 0.5,
    low: float | None = None,
    high: float | None = None,
) -> Block:
    """A 2D tensor as shaded squares without numbers (white = ``low``, blue = ``high``).

    >>> heatmap([[0.0, 1.0]], 0, 0).width
    1.0
    """
    flat = [float(v) for line in values for v in line]
    low = min(flat) if low is None else low
    high = max(flat) if high is None else high
    parts = []
    centres: dict[Index, Point] = {}
    corners: dict[Index, Point] = {}
    for i, line in enumerate(values):
        for j, value in enumerate(line):
            cx, cy = x + j * size, y + i * size
            parts.append(
                rectangle(cx, cy, size, size, heat(float(value), low, high), MUTED, 0.015)
            )
            corners[(i, j)] = (cx, cy)
            centres[(i, j)] = (cx + size / 2, cy + size / 2)
    rows, cols = len(values), len(values[0])
    frame = rectangle(x, y, cols * size, rows * size, None, EDGE, LINE)
    return Block(concat([*parts, frame]), x, y, cols * size, rows * size, centres, corners)


def deck(
    layers: Sequence[Sequence[Sequence[float]]],
    x: float,
    y: float,
    size: float = 0.5,
    shift: float = 0.45,
) -> Block:
    """A 3D tensor as overlapping heat-map cards, channel 0 in front, later ones behind.

    Each card is drawn ``shift`` up and to the right of the one before it, so
    the stack reads as channels one behind another.

    >>> b = deck([[[0.0, 1.0]], [[1.0, 0.0]]], 0, 0)
    >>> round(b.width, 2), round(b.height, 2)
    (1.45, 0.95)
    """
    flat = [float(v) for layer in layers for line in layer for v in line]
    low, high = min(flat), max(flat)
    count = len(layers)
    rows, cols = len(layers[0]), len(layers[0][0])
    cards = []
    for c in reversed(range(count)):
        card = heatmap(layers[c], x + c * shift, y + (count - 1 - c) * shift, size, low, high)
        cards.append(card.diagram)
    width = cols * size + (count - 1) * shift
    height = rows * size + (count - 1) * shift
    return Block(concat(cards), x, y, width, height)


def tensor_block(
    t: Tensor,
    x: float,
    y: float,
    tints: Mapping[Index, Tint] | None = None,
    ghost: Iterable[Index] = (),
    gap: float = 0.6,
    size: float = 1.0,
) -> Block:
    """Draw a 1D tensor as a row, a 2D tensor as a grid, a 3D tensor as a column of channels.

    Channels of a 3D tensor are drawn one below the other, ``gap`` apart, so
    every value stays readable; ``centres`` and ``corners`` are keyed by the
    full tensor index.

    Args:
        t: a tensor of 1, 2 or 3 dimensions.
        x: left edge.
        y: top edge.
        tints: highlight colours by tensor index.
        ghost: indices drawn as ghost cells (dashed, grey).
        gap: the space between two channels.
        size: the side of a cell.

    Raises:
        ShapeError: for a tensor of another number of dimensions.

    >>> from minitorch import tensor
    >>> b = tensor_block(tensor([[[1, 2]], [[3, 4]]]), 0, 0)
    >>> b.height, b.centres[(1, 0, 1)]
    (2.6, (1.5, 2.1))

    """
    tints = dict(tints or {})
    ghost = set(ghost)
    values = t.to_numpy()
    if t.dims == 1:
        return row(
            values.tolist(), x, y, {i[0]: c for i, c in tints.items()}, [i[0] for i in ghost], size
        )
    if t.dims == 2:
        return grid(
            values.tolist(),
            x,
            y,
            {(i[0], i[1]): c for i, c in tints.items()},
            [(i[0], i[1]) for i in ghost],
            size,
        )
    if t.dims != 3:
        raise ShapeError(f"tensor_block: draws 1, 2 or 3 dimensions, got shape {t.shape}")
    parts, centres, corners = [], {}, {}
    top = y
    for c in range(t.shape[0]):
        channel = grid(
            values[c].tolist(),
            x,
            top,
            {(i[1], i[2]): tint for i, tint in tints.items() if i[0] == c},
            [(i[1], i[2]) for i in ghost if i[0] == c],
            size,
        )
        parts.append(channel.diagram)
        centres.update({(c, *k): p for k, p in channel.centres.items()})
        corners.update({(c, *k): p for k, p in channel.corners.items()})
        top = channel.bottom + gap
    height = top - gap - y
    return Block(concat(parts), x, y, t.shape[2] * size, height, centres, corners)


def text_width(text: str, size: float = FONT) -> float:
    """The estimated width of ``text`` written at ``size`` (chalk does not measure text).

    >>> round(text_width("abc", 1.0), 2)
    1.86
    """
    return GLYPH * size * len(text)


def caption(
    text: str, x: float, y: float, tint: Tint | None = None, size: float = CAPTION
) -> Block:
    """A line of text centred on ``(x, y)``, in the tint's text colour if one is given.

    >>> line = caption("grad_input[2] = 11", 0, 0, ORANGE)
    >>> round(line.width, 2), round(line.height, 2)
    (3.79, 0.68)
    """
    written = label(text, x, y, size, INK if tint is None else tint.text)
    width = text_width(text, size)
    return Block(written, x - width / 2, y - size, width, 2 * size)


def name_left(text: str, block: Block, size: float = FONT, gap: float = 0.3) -> Diagram:
    """A name written to the left of a block, centred on it vertically.

    >>> name_left("x", row([1], 0, 0)).get_envelope().width > 0
    True
    """
    x = block.x - gap - text_width(text, size) / 2
    return label(text, x, block.middle[1], size)


def name_above(text: str, block: Block, size: float = FONT, gap: float = 0.35) -> Diagram:
    """A name written above a block, centred on it horizontally.

    >>> name_above("x", row([1], 0, 0)).get_envelope().height > 0
    True
    """
    return label(text, block.middle[0], block.y - gap, size)


def numbering(block: Block, names: Mapping[Index, str], size: float = SMALL) -> Diagram:
    """Small grey names (such as indices) just above the given cells of a block.

    >>> numbering(row([1, 2], 0, 0), {(0,): "0", (1,): "1"}).get_envelope().width > 1
    True
    """
    half = block.cell_size / 2
    return concat(
        label(text, block.centres[i][0], block.centres[i][1] - half - 0.22, size, MUTED)
        for i, text in names.items()
    )
