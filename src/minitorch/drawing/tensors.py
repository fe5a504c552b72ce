"""Figures for the tensor, autodiff and pooling chapters, drawn from real library tensors.

Each function returns a :class:`~minitorch.drawing.canvas.Drawn`: the
diagram, and the facts it shows, computed by the library (strides by
``Tensor.strides``, positions by ``index_to_position``, broadcast sources by
``broadcast_index``, the graph by walking a tensor's history, tiles by
``nn.tile``), so that the tests can check a figure without reading its SVG.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..tensor import Tensor, tensor
from ..tensor_data import broadcast_index, index_to_position
from .canvas import (
    BLUE,
    EDGE,
    GREEN,
    MUTED,
    ORANGE,
    PAPER,
    SMALL,
    TINTS,
    Block,
    Drawn,
    arrow,
    caption,
    concat,
    fmt,
    grid,
    label,
    name_above,
    name_left,
    numbering,
    rectangle,
    row,
)

CAPTION = 0.32


def _tuple(index: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in index) + ("," if len(index) == 1 else "") + ")"


# -------------------------------------------------------------------- strides
@dataclass(frozen=True)
class StridesFacts:
    """What the ``strides`` figure shows: one storage, two views of it.

    Attributes:
        storage: the numbers in storage order.
        shape: the shape of ``t``.
        strides: the strides of ``t``.
        permuted_shape: the shape of ``t.permute(1, 0)``.
        permuted_strides: the strides of ``t.permute(1, 0)``.
        pairs: for each highlighted element, its index in ``t``, its index in
            the permuted view, and its storage position.

    """

    storage: tuple[float, ...]
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    permuted_shape: tuple[int, ...]
    permuted_strides: tuple[int, ...]
    pairs: tuple[tuple[tuple[int, ...], tuple[int, ...], int], ...]


def draw_strides(
    chosen: tuple[tuple[int, int], ...] = ((1, 2), (0, 1)),
) -> Drawn[StridesFacts]:
    """A 2 x 3 tensor and its transpose share one storage: index · strides = position.

    Args:
        chosen: the indices of ``t`` highlighted (at most two).

    >>> draw_strides().facts.pairs[0]
    ((1, 2), (2, 1), 5)

    """
    t = tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    p = t.permute(1, 0)
    storage, _, _ = t.kernel_args()
    tints = (ORANGE, BLUE)
    pairs = []
    for i, j in chosen:
        position = index_to_position(np.array([i, j]), np.array(t.strides))
        assert position == index_to_position(np.array([j, i]), np.array(p.strides))
        pairs.append(((i, j), (j, i), position))
    store = row(
        storage.tolist(), 2.5, 0, {pos: c for (_, _, pos), c in zip(pairs, tints, strict=False)}
    )
    left = grid(
        t.to_numpy().tolist(), 0, 3.6, {a: c for (a, _, _), c in zip(pairs, tints, strict=False)}
    )
    right = grid(
        p.to_numpy().tolist(), 8.5, 3.6, {b: c for (_, b, _), c in zip(pairs, tints, strict=False)}
    )
    parts = [
        store.diagram,
        numbering(store, {(k,): str(k) for k in range(len(storage))}),
        name_left("storage", store),
        left.diagram,
        name_above(
            f"t: shape {_tuple(t.shape)}, strides {_tuple(t.strides)}", left, SMALL + 0.02, 0.4
        ),
        right.diagram,
        name_above(
            f"t.permute(1, 0): shape {_tuple(p.shape)}, strides {_tuple(p.strides)}",
            right,
            SMALL + 0.02,
            0.4,
        ),
    ]
    for n, ((a, b, position), tint) in enumerate(zip(pairs, tints, strict=False)):
        target = (store.centres[(position,)][0], store.bottom + 0.06)
        for block, index in ((left, a), (right, b)):
            cx, cy = block.centres[index]
            parts.append(arrow((cx, cy - 0.3), target, tint.edge))
        sa, sb = t.strides, p.strides
        text_a = f"{_tuple(a)} → {a[0]}×{sa[0]} + {a[1]}×{sa[1]} = {position}"
        text_b = f"{_tuple(b)} → {b[0]}×{sb[0]} + {b[1]}×{sb[1]} = {position}"
        parts.append(
            caption(
                text_a, left.middle[0], right.bottom + 0.7 + 0.55 * n, tint, size=CAPTION
            ).diagram
        )
        parts.append(
            caption(
                text_b, right.middle[0], right.bottom + 0.7 + 0.55 * n, tint, size=CAPTION
            ).diagram
        )
    facts = StridesFacts(
        tuple(storage.tolist()), t.shape, t.strides, p.shape, p.strides, tuple(pairs)
    )
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------------ broadcast
@dataclass(frozen=True)
class BroadcastFacts:
    """What the ``broadcast`` figure shows: ``a + b`` with ``a`` a column and ``b`` a row.

    Attributes:
        a: the column, shape ``(3, 1)``.
        b: the row, shape ``(4,)``.
        result: ``a + b`` as the library computes it, shape ``(3, 4)``.
        cell: the result cell highlighted.
        sources: the indices of ``a`` and ``b`` it reads (by ``broadcast_index``).

    """

    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    result: tuple[tuple[float, ...], ...]
    cell: tuple[int, int]
    sources: tuple[tuple[int, ...], tuple[int, ...]]


def draw_broadcast(cell: tuple[int, int] = (2, 1)) -> Drawn[BroadcastFacts]:
    """A ``3 x 1`` column plus a row of 4: each is repeated (dashed) to the ``3 x 4`` result.

    Args:
        cell: the result cell whose two sources are highlighted.

    >>> draw_broadcast().facts.sources
    ((2, 0), (1,))

    """
    a = tensor([[1.0], [2.0], [3.0]])
    b = tensor([10.0, 20.0, 30.0, 40.0])
    c = a + b
    rows, cols = c.shape
    source_a = np.zeros(2, dtype=np.int64)
    source_b = np.zeros(1, dtype=np.int64)
    broadcast_index(np.array(cell), np.array(c.shape), np.array(a.shape), source_a)
    broadcast_index(np.array(cell), np.array(c.shape), np.array(b.shape), source_b)
    sa, sb = tuple(int(v) for v in source_a), tuple(int(v) for v in source_b)
    wide_a = np.repeat(a.to_numpy(), cols, axis=1)
    wide_b = np.repeat(b.to_numpy()[None, :], rows, axis=0)
    ghost_a = [(i, j) for i in range(rows) for j in range(cols) if j > 0]
    ghost_b = [(i, j) for i in range(rows) for j in range(cols) if i > 0]
    left = grid(wide_a.tolist(), 0, 0, {(sa[0], sa[1]): ORANGE}, ghost_a)
    middle = grid(wide_b.tolist(), left.right + 1.6, 0, {(0, sb[0]): ORANGE}, ghost_b)
    result = grid(c.to_numpy().tolist(), middle.right + 1.6, 0, {cell: ORANGE})
    centre = left.middle[1]
    parts = [
        left.diagram,
        name_above(f"a: shape {_tuple(a.shape)}", left, SMALL + 0.04),
        label("+", (left.right + middle.x) / 2, centre, 0.5),
        middle.diagram,
        name_above(f"b: shape {_tuple(b.shape)}", middle, SMALL + 0.04),
        label("=", (middle.right + result.x) / 2, centre, 0.5),
        result.diagram,
        name_above(f"a + b: shape {_tuple(c.shape)}", result, SMALL + 0.04),
        left.window(cell, cell, ORANGE, 0.08),
        middle.window(cell, cell, ORANGE, 0.08),
        result.window(cell, cell, ORANGE),
    ]
    total = f"{fmt(a[sa])} + {fmt(b[sb])} = {fmt(c[cell])}"
    lines = [
        (f"c[{cell[0]}, {cell[1]}] = a[{sa[0]}, {sa[1]}] + b[{sb[0]}] = {total}", ORANGE),
        ("dashed cells are not stored: a's column and b's row are read again", None),
    ]
    for n, (text, tint) in enumerate(lines):
        parts.append(
            caption(
                text, result.right / 2, left.bottom + 0.7 + 0.55 * n, tint, size=CAPTION
            ).diagram
        )
    facts = BroadcastFacts(
        tuple(tuple(r) for r in a.to_numpy().tolist()),
        tuple(b.to_numpy().tolist()),
        tuple(tuple(r) for r in c.to_numpy().tolist()),
        cell,
        (sa, sb),
    )
    return Drawn(concat(parts), facts)


# ------------------------------------------------------------- autodiff graph
@dataclass(frozen=True)
class GraphFacts:
    """What the ``autodiff_graph`` figure shows: a real tensor's history, walked back.

    Attributes:
        nodes: each node's name (a leaf's name, or the Function that made it).
        edges: ``(input, result)`` pairs, one per arrow.
        grads: the gradient of each leaf after ``backward``.

    """

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    grads: tuple[tuple[str, tuple[float, ...]], ...]


def _walk(output: Tensor) -> tuple[list[Tensor], list[tuple[Tensor, Tensor]]]:
    """Every tensor that ``output`` was computed from, and each (input, result) edge."""
    nodes: dict[int, Tensor] = {}
    edges: list[tuple[Tensor, Tensor]] = []
    todo = [output]
    while todo:
        node = todo.pop()
        if node.unique_id in nodes:
            continue
        nodes[node.unique_id] = node
        if node.history is not None and node.history.last_fn is not None:
            for parent in node.history.inputs:
                edges.append((parent, node))
                todo.append(parent)
    return list(nodes.values()), edges


def draw_autodiff_graph() -> Drawn[GraphFacts]:
    """The graph of ``(x * y + x).sum(0)``, found by walking the result's history.

    >>> draw_autodiff_graph().facts.edges
    (('x', 'Mul'), ('y', 'Mul'), ('Mul', 'Add'), ('x', 'Add'), ('Add', 'Sum'))
    """
    x = tensor([1.0, 2.0], requires_grad=True)
    y = tensor([3.0, 4.0], requires_grad=True)
    x.name, y.name = "x", "y"
    loss = (x * y + x).sum(0)
    loss.backward()
    nodes, edges = _walk(loss)

    def name(t: Tensor) -> str:
        assert t.history is not None
        return t.name if t.history.last_fn is None else t.history.last_fn.__name__

    # A leaf sits in column 0; a result one column right of its latest input.
    depth: dict[int, int] = {}

    def column(t: Tensor) -> int:
        if t.unique_id not in depth:
            parents = [p for p, r in edges if r is t]
            depth[t.unique_id] = 1 + max(map(column, parents)) if parents else 0
        return depth[t.unique_id]

    leaves = sorted((t for t in nodes if column(t) == 0), key=name)
    height: dict[int, float] = {t.unique_id: 4.2 * n for n, t in enumerate(leaves)}
    results = sorted((t for t in nodes if column(t) > 0), key=column)
    for t in results:
        parents = [p for p, r in edges if r is t]
        height[t.unique_id] = sum(height[p.unique_id] for p in parents) / len(parents)
    blocks: dict[int, Block] = {}
    parts = []
    for t in nodes:
        values = t.to_numpy().reshape(-1).tolist()
        block = row(values, 4.8 * column(t), height[t.unique_id], {})
        blocks[t.unique_id] = block
        parts.append(block.diagram)
        if column(t) == 0:
            parts.append(name_left(name(t), block))
        else:
            box = rectangle(block.x - 0.1, block.y - 0.95, block.width + 0.2, 0.7, PAPER, EDGE)
            parts += [box, label(name(t), block.middle[0], block.y - 0.6, SMALL + 0.04)]
    for parent, result in edges:
        a, b = blocks[parent.unique_id], blocks[result.unique_id]
        parts.append(arrow((a.right + 0.15, a.middle[1]), (b.x - 0.25, b.middle[1]), MUTED))
    grads = []
    bottom = 0.0
    for t in leaves:
        assert t.grad is not None
        block = blocks[t.unique_id]
        values = t.grad.to_numpy().tolist()
        gradient = row(values, block.x, block.bottom + 0.9, {i: GREEN for i in range(len(values))})
        parts += [gradient.diagram, name_left(f"{name(t)}.grad", gradient, SMALL + 0.04)]
        grads.append((name(t), tuple(values)))
        bottom = max(bottom, gradient.bottom + 0.8)
    right = max(b.right for b in blocks.values())
    parts.append(
        caption(
            "loss = (x * y + x).sum(0): x feeds two operations, so backward adds "
            "both paths: x.grad = y + 1",
            right / 2,
            bottom,
            GREEN,
            size=CAPTION,
        ).diagram
    )
    order = sorted(nodes, key=lambda t: (column(t), height[t.unique_id]))
    named_edges = tuple(
        (name(p), name(r)) for p, r in sorted(edges, key=lambda e: (column(e[1]), name(e[0])))
    )
    facts = GraphFacts(tuple(name(t) for t in order), named_edges, tuple(grads))
    return Drawn(concat(parts), facts)


# ----------------------------------------------------------------------- tile
@dataclass(frozen=True)
class TileFacts:
    """What the ``tile`` figure shows: an image cut into tiles, each tile pooled to one number.

    Attributes:
        image: the ``height x width`` image.
        kernel: ``(kh, kw)``.
        tiles: for each tile ``(i, j)``, the image cells it holds and the values
            ``nn.tile`` puts in its last dimension.
        pooled: ``nn.avg_pool2d`` of the image.

    """

    image: tuple[tuple[float, ...], ...]
    kernel: tuple[int, int]
    tiles: tuple[tuple[tuple[int, int], tuple[tuple[int, int], ...], tuple[float, ...]], ...]
    pooled: tuple[tuple[float, ...], ...]


def draw_tile(kernel: tuple[int, int] = (2, 2)) -> Drawn[TileFacts]:
    """``nn.tile`` turns each ``kh x kw`` tile of a 4 x 4 image into a row; pooling reduces rows.

    Args:
        kernel: ``(kh, kw)``, dividing 4.

    >>> draw_tile().facts.tiles[1][1]
    ((0, 2), (0, 3), (1, 2), (1, 3))

    """
    kh, kw = kernel
    H = W = 4
    image = tensor(np.arange(1.0, H * W + 1).reshape(1, 1, H, W).tolist())
    tiled = nn.tile(image, kernel)
    pooled = nn.avg_pool2d(image, kernel)
    new_h, new_w = H // kh, W // kw
    tiles, cell_tints, row_tints, tile_rows = [], {}, {}, []
    for i in range(new_h):
        for j in range(new_w):
            n = i * new_w + j
            cells = tuple((i * kh + u, j * kw + v) for u in range(kh) for v in range(kw))
            values = tuple(tiled.to_numpy()[0, 0, i, j].tolist())
            tiles.append(((i, j), cells, values))
            cell_tints.update({c: TINTS[n % len(TINTS)] for c in cells})
            row_tints[n] = TINTS[n % len(TINTS)]
            tile_rows.append(list(values))
    picture = grid(image.to_numpy()[0, 0].tolist(), 0, 0.5, cell_tints)
    table = grid(
        tile_rows,
        picture.right + 4.2,
        0,
        {(n, k): row_tints[n] for n in range(len(tile_rows)) for k in range(kh * kw)},
    )
    means = grid(
        pooled.to_numpy()[0, 0].tolist(),
        table.right + 3.2,
        0.7,
        {(i, j): row_tints[i * new_w + j] for i in range(new_h) for j in range(new_w)},
        size=1.3,
    )
    middle = picture.middle[1]
    parts = [
        picture.diagram,
        name_above(f"image: 1 x 1 x {H} x {W}", picture, SMALL + 0.04),
        table.diagram,
        name_above(f"nn.tile: 1 x 1 x {new_h} x {new_w} x {kh * kw}", table, SMALL + 0.04),
        means.diagram,
        name_above(f"avg_pool2d: 1 x 1 x {new_h} x {new_w}", means, SMALL + 0.04, 0.6),
        arrow((picture.right + 0.2, middle), (table.x - 1.9, middle), MUTED),
        arrow((table.right + 0.2, middle), (means.x - 0.2, middle), MUTED),
        label("mean(4)", (table.right + means.x) / 2, middle - 0.4, SMALL, MUTED),
    ]
    for n, ((i, j), _, _) in enumerate(tiles):
        parts.append(
            label(
                f"tile ({i}, {j})",
                table.x - 0.95,
                table.centres[(n, 0)][1],
                SMALL,
                row_tints[n].text,
            )
        )
    facts = TileFacts(
        tuple(tuple(r) for r in image.to_numpy()[0, 0].tolist()),
        (kh, kw),
        tuple(tiles),
        tuple(tuple(r) for r in pooled.to_numpy()[0, 0].tolist()),
    )
    return Drawn(concat(parts), facts)
