"""The fused Numba convolution: one kernel for 1D and 2D, forward and both gradients.

The kernel computes the one general form of :class:`~minitorch.tensor_ops.ConvGeometry`
on grouped, 5-dimensional views (1D is 2D with a height of 1)::

    input  [groups, batch, in_channels, height, width]
    weight [groups, out_channels, in_channels, kernel_height, kernel_width]
    out    [groups, batch, out_channels, out_height, out_width]

    out[g, b, o, y, x] = sum_{c, kh, kw} weight[g, o, c, kh, kw]
                         * input[g, b, c, y * stride_h + kh * dilation_h - offset_h,
                                          x * stride_w + kw * dilation_w - offset_w]

with zeros outside the input, and the weight read flipped when ``flip`` is
set. The forward pass and the pieces of both gradients are all this loop
(see :mod:`minitorch.tensor_functions`).

How the kernel is fast (each trick is one helper; factors measured on a
2-core AMD EPYC with AVX2):

1. :func:`_pack_row` copies the input once, row by row in parallel, into a
   channels-last buffer that already holds the padding, so the inner loop has
   no bounds test. A window row of ``kernel_width`` taps is then one contiguous
   run of ``kernel_width * in_channels`` numbers (a dilated row is
   ``kernel_width`` runs of ``in_channels``). No unrolled matrix is built.
2. :func:`_pack_filter` lays each filter out in the same order, so every output
   is a sum of dot products of contiguous runs ("taps").
3. An input already stored that way (channels-last, needing no zeros) and
   filters already stored in ``(kh, kw, c)`` order are read where they are
   (:func:`_input_in_place`, :func:`_filters_in_place`): a caller that runs
   several convolutions on one tensor, as the phases of a strided gradient do,
   lays it out once instead of having it packed for every call.
4. :func:`_block_dot` computes 4 output channels at 2 positions in 8 scalar
   accumulators: 6 loads feed 8 multiply-adds, and indexing 1-D slices with
   the loop counter lets LLVM vectorise it. (4 x 4 needed more than AVX2's 16
   vector registers and spilled: 4 x 2 ran 1.1-1.6x faster.)
5. ``prange`` runs jobs of 4 channels x ``QUADS * 4`` positions on all cores;
   positions run over the batch too, so a weight gradient, whose output is
   only kernel-sized, still has enough of them. Each job walks the taps in
   ``CHUNK``-long pieces so that the weight it reuses stays in the L1 cache.
6. With one input channel a tap is too short for dot products:
   :func:`_row_job` multiplies each weight number into a whole output row,
   when that row is longer than a tap, reading a strided input through
   copies of its cells a stride apart (:func:`_decimate`). (A weight gradient
   at batch 1 also has one "channel", but long taps and rows as short as the
   kernel: its dot products ran 25x faster there.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import prange

from .jit import MAX_PIECES, launch, njit, pooling_work, zero_of
from .tensor_data import Index, Shape, Storage, Strides
from .tensor_ops import (
    ConvGeometry,
    Indices,
    PoolWindow,
)

if TYPE_CHECKING:
    from .tensor import Tensor

# Reassociation lets the compiler split each sum into vector lanes; contraction
# fuses multiply and add. Results differ from a left-to-right sum only by rounding.
_FASTMATH = {"reassoc", "contract"}

# A job computes 4 output channels x QUADS groups of 4 positions, walking each tap
# in pieces of CHUNK numbers: 4 weight pieces (16 KiB) then stay in the L1 cache
# while all the job's positions use them. Measured; not sensitive.
QUADS = 16
CHUNK = 512
# Output channels of one job of :func:`_row_job`: enough jobs for every core even
# where the output has one row per image (1D), few enough copies of its input rows.
# Its rows are cut into runs only as far as needed for MAX_PIECES jobs: a job of one
# row of a depthwise layer is about 500 multiply-adds, its set-up as costly.
ROW_CHANNELS = 16


def _pack_row(
    padded: Storage,
    row: int,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    span: tuple[int, int],
    offset: tuple[int, int],
) -> None:
    """Copy buffer row ``row`` of the zero-bordered channels-last buffer ``[G, B, span_h, span_w, C]``.

    Buffer row ``j`` of image ``(g, b)`` holds input row ``j - offset_h`` where
    that lies inside the image (the same along the width); ``padded`` starts
    as zeros, so rows and columns outside stay zero. The copy walks the
    buffer in order, a column's channels at a time: from a channels-first
    input that reads one cache line per channel, which the next 7 columns
    then find in the cache, and writes whole lines. (Copying a channel's run
    of columns at a time wrote one line per number: a 512 x 1599 row ran 2.3x
    slower, 14 x 14 maps of 512 channels 2.4x; one thread, 2-core AMD EPYC.)
    """
    _, batch, channels, height, width = input_shape
    gb = row // span[0]
    h = row - gb * span[0] - offset[0]
    if h < 0 or h >= height:
        return
    g = gb // batch
    b = gb - g * batch
    first = max(0, offset[1])
    last = min(span[1], width + offset[1])
    source = g * input_strides[0] + b * input_strides[1] + h * input_strides[3]
    source -= offset[1] * input_strides[4]
    for i in range(first, last):
        at = source + i * input_strides[4]
        to = (row * span[1] + i) * channels
        for c in range(channels):
            padded[to + c] = input[at + c * input_strides[2]]


_pack_row_jit = njit(inline="always", cache=True)(_pack_row)


def _tap_layout(
    weight_shape: Shape, row_stride: int, dilation: tuple[int, int]
) -> tuple[int, Index]:
    """How each filter splits into taps: their length, and where each starts in a window.

    ``row_stride`` is the distance between two rows of the channels-last
    buffer the windows are read from. Without width dilation a tap is a whole
    kernel row (``kernel_width * C`` numbers, ``j = kw * C + c``); with it, a
    tap is one kernel cell (``C`` numbers). When the kernel's rows are
    adjacent in the buffer (a window as wide as the buffer, as every piece of
    a weight gradient is), all of it is one tap: one long run instead of a
    short run per row. ``offsets[tap]`` is where the tap starts in the
    buffer, relative to the window's first number.
    """
    channels, kernel_height, kernel_width = weight_shape[2], weight_shape[3], weight_shape[4]
    per_row = kernel_width if dilation[1] > 1 else 1
    cells = kernel_width // per_row
    whole = per_row == 1 and dilation[0] == 1 and row_stride == kernel_width * channels
    rows = kernel_height if whole else 1
    taps = kernel_height // rows * per_row
    offsets = np.empty(taps, np.int64)
    for tap in range(taps):
        first_kh = tap // per_row * rows
        first_kw = (tap % per_row) * cells
        offsets[tap] = first_kh * dilation[0] * row_stride + first_kw * dilation[1] * channels
    return rows * cells * channels, offsets


_tap_layout_jit = njit(cache=True)(_tap_layout)


def _input_in_place(
    input_shape: Shape, input_strides: Strides, span: tuple[int, int], offset: tuple[int, int]
) -> bool:
    """Whether the windows can be read from ``input`` itself: a buffer :func:`_pack_row` would copy.

    That is an input stored channels-last (channels adjacent, then columns)
    whose windows need no zeros: a caller that runs several convolutions
    on one input lays it out once, with its zeros, and hands in views.
    """
    channels, height, width = input_shape[2], input_shape[3], input_shape[4]
    return (
        (input_strides[2] == 1 or channels == 1)
        and (input_strides[4] == channels or span[1] == 1)
        and offset[0] == 0
        and offset[1] == 0
        and span[0] <= height
        and span[1] <= width
    )


_input_in_place_jit = njit(cache=True)(_input_in_place)


def _filters_in_place(weight_shape: Shape, weight_strides: Strides, flip: bool) -> bool:
    """Whether every filter is already stored in the packed ``(kh, kw, c)`` order."""
    channels, kernel_height, kernel_width = weight_shape[2], weight_shape[3], weight_shape[4]
    return (
        not flip
        and (weight_strides[2] == 1 or channels == 1)
        and (weight_strides[4] == channels or kernel_width == 1)
        and (weight_strides[3] == kernel_width * channels or kernel_height == 1)
    )


_filters_in_place_jit = njit(cache=True)(_filters_in_place)


def _filter_starts(weight_shape: Shape, weight_strides: Strides, in_place: bool) -> Index:
    """Where filter ``g * O + o`` starts: in the weight itself, or in its packed copy."""
    groups, out_channels = weight_shape[0], weight_shape[1]
    size = weight_shape[2] * weight_shape[3] * weight_shape[4]
    starts = np.empty(groups * out_channels, np.int64)
    for go in range(groups * out_channels):
        g = go // out_channels
        o = go - g * out_channels
        starts[go] = g * weight_strides[0] + o * weight_strides[1] if in_place else go * size
    return starts


_filter_starts_jit = njit(cache=True)(_filter_starts)


def _pack_filter(
    packed: Storage,
    go: int,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    flip: bool,
) -> None:
    """Copy filter ``go = g * O + o`` to ``packed[go * size:]``, in ``(kh, kw, c)`` order.

    Every tap layout of :func:`_tap_layout` is this order cut into pieces.
    As in :func:`_pack_row` the copy walks the packed row in order (a 1 x 1
    filter of 512 channels: 7x faster than a channel's cells at a time, a
    512-channel 3 x 3 one 1.8x).
    """
    _, out_channels, channels, kernel_height, kernel_width = weight_shape
    g = go // out_channels
    source = g * weight_strides[0] + (go - g * out_channels) * weight_strides[1]
    start = go * channels * kernel_height * kernel_width
    for kh in range(kernel_height):
        row = source + (kernel_height - 1 - kh if flip else kh) * weight_strides[3]
        for kw in range(kernel_width):
            at = row + (kernel_width - 1 - kw if flip else kw) * weight_strides[4]
            to = start + (kh * kernel_width + kw) * channels
            for c in range(channels):
                packed[to + c] = weight[at + c * weight_strides[2]]


_pack_filter_jit = njit(inline="always", cache=True)(_pack_filter)


def _block_dot(
    filters: Storage,
    firsts: tuple[int, int, int, int],
    length: int,
    taps: tuple[int, int],
    j0: int,
    j1: int,
    padded: Storage,
    starts: tuple[int, int],
    offsets: Index,
    sums: Storage,
    at: int,
) -> None:
    """Add 8 dot products, 4 filters x 2 windows, to ``sums[at + 4 * c + p]``.

    Filter ``c`` starts at ``filters[firsts[c]]``, its taps ``length`` numbers
    apart. For each tap in ``range(*taps)`` the piece ``j0:j1`` of it meets the
    same piece of window ``p``, which starts in ``padded`` at
    ``starts[p] + offsets[tap]``. Short taps are taken together so that the 8
    sums stay in registers across them.
    """
    f0, f1, f2, f3 = firsts
    s0, s1 = starts
    size = j1 - j0
    a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = zero_of(sums)
    for tap in range(taps[0], taps[1]):
        piece = tap * length + j0
        w0 = filters[f0 + piece : f0 + piece + size]
        w1 = filters[f1 + piece : f1 + piece + size]
        w2 = filters[f2 + piece : f2 + piece + size]
        w3 = filters[f3 + piece : f3 + piece + size]
        shift = offsets[tap] + j0
        x0 = padded[s0 + shift : s0 + shift + size]
        x1 = padded[s1 + shift : s1 + shift + size]
        for j in range(size):
            x0j = x0[j]
            x1j = x1[j]
            w = w0[j]
            a00 += w * x0j
            a01 += w * x1j
            w = w1[j]
            a10 += w * x0j
            a11 += w * x1j
            w = w2[j]
            a20 += w * x0j
            a21 += w * x1j
            w = w3[j]
            a30 += w * x0j
            a31 += w * x1j
    block = (a00, a01, a10, a11, a20, a21, a30, a31)
    for m in range(8):
        sums[at + 4 * (m // 2) + m % 2] += block[m]


_block_dot_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_block_dot)


def _single_dot(
    filters: Storage,
    first: int,
    length: int,
    taps: tuple[int, int],
    j0: int,
    j1: int,
    padded: Storage,
    starts: tuple[int, int, int, int],
    offsets: Index,
    sums: Storage,
    at: int,
) -> None:
    """:func:`_block_dot` for one filter (at ``filters[first]``): 4 dot products into ``sums[at + p]``.

    With fewer than 4 channels in a group the 4 x 2 block would compute the same
    sums several times (a depthwise convolution has one channel per group).
    """
    s0, s1, s2, s3 = starts
    size = j1 - j0
    a0 = a1 = a2 = a3 = zero_of(sums)
    for tap in range(taps[0], taps[1]):
        piece = first + tap * length + j0
        w = filters[piece : piece + size]
        shift = offsets[tap] + j0
        x0 = padded[s0 + shift : s0 + shift + size]
        x1 = padded[s1 + shift : s1 + shift + size]
        x2 = padded[s2 + shift : s2 + shift + size]
        x3 = padded[s3 + shift : s3 + shift + size]
        for j in range(size):
            wj = w[j]
            a0 += wj * x0[j]
            a1 += wj * x1[j]
            a2 += wj * x2[j]
            a3 += wj * x3[j]
    sums[at] += a0
    sums[at + 1] += a1
    sums[at + 2] += a2
    sums[at + 3] += a3


_single_dot_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_single_dot)


def _places(
    first: int,
    count: int,
    g: int,
    out_shape: Shape,
    out_strides: Strides,
    grid: tuple[int, int, int, int],
    stride: tuple[int, int],
) -> Index:
    """Where the windows of positions ``first ..`` start in the buffer, and their outputs.

    Positions number ``(b, y, x)`` of group ``g`` in row-major order; ``grid``
    holds the buffer's strides (group, image, row, column). Row ``n`` of the
    result is ``(window start, output offset)`` of position ``first + n``;
    rows past ``count`` repeat the last position, so that a group of 4 is
    always full (its extra sums are computed and dropped).
    """
    _, _, _, out_height, out_width = out_shape
    image = out_height * out_width
    places = np.empty((QUADS * 4, 2), np.int64)
    b = first // image
    y = (first - b * image) // out_width
    x = first - b * image - y * out_width
    for n in range(QUADS * 4):
        places[n, 0] = (
            g * grid[0] + b * grid[1] + y * stride[0] * grid[2] + x * stride[1] * grid[3]
        )
        places[n, 1] = (
            g * out_strides[0] + b * out_strides[1] + y * out_strides[3] + x * out_strides[4]
        )
        if n + 1 < count:
            x += 1
            if x == out_width:
                x = 0
                y += 1
                if y == out_height:
                    y = 0
                    b += 1
    return places


_places_jit = njit(cache=True)(_places)


def _quad_sums(
    filters: Storage,
    filter_at: Index,
    length: int,
    block: tuple[int, int, int],
    tap_range: tuple[int, int],
    j0: int,
    j1: int,
    padded: Storage,
    places: Index,
    offsets: Index,
    sums: Storage,
    q: int,
    count: int,
) -> None:
    """Add the piece ``j0:j1`` of taps ``tap_range`` for positions ``4q .. 4q + 3`` to ``sums``.

    ``block = (g, o0, O)``: up to 4 output channels from ``o0`` of group ``g``
    (of ``O``), whose filters start at ``filters[filter_at[g * O + o]]``.
    ``sums[16 * q + 4 * c + p]`` gathers channel ``o0 + c`` at position
    ``4q + p``, by two 4 x 2 blocks (4 x 4 in one block spilled registers:
    4 x 2 ran 1.1-1.6x faster, 2-core AMD EPYC), the second skipped when only
    ``count`` positions leave it empty.
    """
    g, o0, out_channels = block
    go0 = g * out_channels + o0
    last = g * out_channels + out_channels - 1
    starts = (places[4 * q, 0], places[4 * q + 1, 0], places[4 * q + 2, 0], places[4 * q + 3, 0])
    if out_channels >= 4:
        firsts = (
            filter_at[go0],
            filter_at[min(go0 + 1, last)],
            filter_at[min(go0 + 2, last)],
            filter_at[min(go0 + 3, last)],
        )
        for half in range(2 if 4 * q + 2 < count else 1):
            pair = (starts[2 * half], starts[2 * half + 1])
            _block_dot_jit(
                filters, firsts, length, tap_range, j0, j1, padded, pair, offsets, sums,
                16 * q + 2 * half,
            )  # fmt: skip
    else:
        for o in range(out_channels):
            _single_dot_jit(
                filters, filter_at[go0 - o0 + o], length, tap_range, j0, j1, padded, starts,
                offsets, sums, 16 * q + 4 * o,
            )  # fmt: skip


_quad_sums_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_quad_sums)


def _dot_job(
    out: Storage,
    out_strides: Strides,
    filters: Storage,
    filter_at: Index,
    shape: tuple[int, int],
    block: tuple[int, int, int],
    padded: Storage,
    places: Index,
    offsets: Index,
    count: int,
) -> None:
    """Output channels ``o0 .. o0 + 3`` of group ``g`` (``block = (g, o0, O)``) at ``places``.

    ``shape = (taps, length)`` of every filter; ``count`` positions.
    """
    taps, length = shape
    _, o0, out_channels = block
    together = max(1, CHUNK // length)
    sums = np.zeros(QUADS * 16, out.dtype)
    for t0 in range(0, taps, together):
        tap_range = (t0, min(t0 + together, taps))
        for j0 in range(0, length, CHUNK):
            j1 = min(j0 + CHUNK, length)
            for q in range((count + 3) // 4):
                _quad_sums_jit(
                    filters, filter_at, length, block, tap_range, j0, j1, padded, places,
                    offsets, sums, q, count,
                )  # fmt: skip
    for n in range(count):
        at = places[n, 1]
        for c in range(min(4, out_channels - o0)):
            out[at + (o0 + c) * out_strides[2]] = sums[16 * (n // 4) + 4 * c + n % 4]


_dot_job_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_dot_job)


def _decimate(
    rows: Storage, padded: Storage, start: int, offsets: Index, length: int, step: int, width: int
) -> None:
    """Copy each tap's cells ``step`` apart: ``rows[(tap * step + r) * M + m]`` is cell ``r + m * step``.

    Cells are counted from ``start + offsets[tap]`` in ``padded``; ``M = width +
    (length - 1) // step``, and residue ``r`` gets the ``width + (length - 1 - r) // step``
    cells its taps reach. Tap cell ``j`` of output ``x`` is then
    ``rows[(tap * step + j % step) * M + j // step + x]``: one contiguous run over ``x``.
    """
    cells = width + (length - 1) // step
    for tap in range(offsets.size):
        for r in range(min(step, length)):
            first = start + offsets[tap] + r
            to = (tap * step + r) * cells
            for m in range(width + (length - 1 - r) // step):
                rows[to + m] = padded[first + m * step]


_decimate_jit = njit(inline="always", cache=True)(_decimate)


def _row_job(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    filters: Storage,
    filter_at: Index,
    offsets: Index,
    shape: tuple[int, int],
    padded: Storage,
    grid: tuple[int, int, int, int],
    stride: tuple[int, int],
    job: int,
    runs: int,
) -> None:
    """A run of output rows of ``ROW_CHANNELS`` output channels, for a group with one input channel.

    ``job`` numbers ``(g, b, block of channels, run)``, the rows of image
    ``(g, b)`` cut into ``runs`` runs. With one input channel (a depthwise
    convolution, or an image's first layer) a tap is a few numbers and the dot
    products of :func:`_quad_sums` would be almost all overhead. Here each
    weight number is instead multiplied into a whole output row at once, the
    row a vector loop over ``x`` (MobileNet's depthwise 3 x 3 on 56 x 56 maps:
    2.7x faster, 2-core AMD EPYC). With a stride the input's cells are first
    copied ``stride`` apart (:func:`_decimate`), so that the loop still reads
    contiguous runs (wav2vec 2.0's k10/5 first layer: 36 -> 7.5 ms).
    ``grid`` holds the strides of the buffer, as in :func:`_places`; every
    filter has ``shape = (taps, length)``.
    """
    _, batch, out_channels, out_height, out_width = out_shape
    blocks = (out_channels + ROW_CHANNELS - 1) // ROW_CHANNELS
    gb = job // (blocks * runs)
    g = gb // batch
    b = gb - g * batch
    o0 = (job // runs - gb * blocks) * ROW_CHANNELS
    run = job % runs
    step = stride[1]
    taps, length = shape
    cells = out_width + (length - 1) // step
    rows = np.empty(taps * step * cells if step > 1 else 0, padded.dtype)
    sums = np.empty(out_width, out.dtype)
    for y in range(run * out_height // runs, (run + 1) * out_height // runs):
        start = g * grid[0] + b * grid[1] + y * stride[0] * grid[2]
        if step > 1:
            _decimate_jit(rows, padded, start, offsets, length, step, out_width)
        for o in range(o0, min(o0 + ROW_CHANNELS, out_channels)):
            sums[:] = 0.0
            for tap in range(taps):
                for j in range(length):
                    w = filters[filter_at[g * out_channels + o] + tap * length + j]
                    if step == 1:
                        first = start + offsets[tap] + j
                        run_x = padded[first : first + out_width]
                    else:
                        first = (tap * step + j % step) * cells + j // step
                        run_x = rows[first : first + out_width]
                    for x in range(out_width):
                        sums[x] += w * run_x[x]
            at = g * out_strides[0] + b * out_strides[1] + y * out_strides[3]
            at += o * out_strides[2]
            for x in range(out_width):
                out[at + x * out_strides[4]] = sums[x]


_row_job_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_row_job)


def _tensor_conv(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    offset: tuple[int, int],
    flip: bool,
) -> None:
    """The general grouped convolution on 5-D views; every tensor may be strided.

    Shapes and the loop are in the module docstring; the last four arguments
    are the fields of :class:`~minitorch.tensor_ops.ConvGeometry`. Every
    element of ``out`` is written. An input or a weight already laid out as
    the kernel packs them is read where it is.
    """
    groups, batch, out_channels, out_height, out_width = out_shape
    channels = input_shape[2]
    span = (
        (out_height - 1) * stride[0] + (weight_shape[3] - 1) * dilation[0] + 1,
        (out_width - 1) * stride[1] + (weight_shape[4] - 1) * dilation[1] + 1,
    )
    padded = input
    grid = (input_strides[0], input_strides[1], input_strides[3], input_strides[4])
    if not _input_in_place_jit(input_shape, input_strides, span, offset):
        padded = np.zeros(groups * batch * span[0] * span[1] * channels, input.dtype)
        for row in prange(groups * batch * span[0]):
            _pack_row_jit(padded, row, input, input_shape, input_strides, span, offset)
        image = span[0] * span[1] * channels
        grid = (batch * image, image, span[1] * channels, channels)
    length, offsets = _tap_layout_jit(weight_shape, grid[2], dilation)
    filters = weight
    in_place = _filters_in_place_jit(weight_shape, weight_strides, flip)
    filter_at = _filter_starts_jit(weight_shape, weight_strides, in_place)
    if not in_place:
        filters = np.empty(filter_at.size * offsets.size * length, weight.dtype)
        for go in prange(filter_at.size):
            _pack_filter_jit(filters, go, weight, weight_shape, weight_strides, flip)
    shape = (offsets.size, length)
    if channels == 1 and length < out_width:
        images = groups * batch * ((out_channels + ROW_CHANNELS - 1) // ROW_CHANNELS)
        runs = min(out_height, max(1, MAX_PIECES // images))
        for job in prange(images * runs):
            _row_job_jit(
                out, out_shape, out_strides, filters, filter_at, offsets, shape, padded, grid,
                stride, job, runs,
            )  # fmt: skip
        return
    blocks = (out_channels + 3) // 4
    positions = batch * out_height * out_width
    runs = (positions + QUADS * 4 - 1) // (QUADS * 4)
    for job in prange(groups * runs * blocks):
        g = job // (runs * blocks)
        first = (job // blocks - g * runs) * QUADS * 4
        count = min(QUADS * 4, positions - first)
        places = _places_jit(first, count, g, out_shape, out_strides, grid, stride)
        block = (g, (job % blocks) * 4, out_channels)
        _dot_job_jit(
            out, out_strides, filters, filter_at, shape, block, padded, places, offsets, count
        )


tensor_conv = njit(parallel=True, cache=True, fastmath=_FASTMATH)(_tensor_conv)


def conv(out: Tensor, input: Tensor, weight: Tensor, geometry: ConvGeometry) -> Tensor:
    """Fill ``out`` with the general convolution of ``input`` and ``weight``; return ``out``.

    The Python face of :func:`tensor_conv` (the loop is in the module
    docstring). All three are 5-D grouped views whose sizes already agree.

    >>> import minitorch
    >>> x = minitorch.tensor([1, 2, 3, 4, 5, 6]).view(1, 1, 1, 1, 6)
    >>> w = minitorch.tensor([5, 2, 3]).view(1, 1, 1, 1, 3)
    >>> geometry = ConvGeometry((1, 1), (1, 1), (0, 0), False)
    >>> conv(x.zeros((1, 1, 1, 1, 4)), x, w, geometry).to_numpy().ravel().tolist()
    [18.0, 28.0, 38.0, 48.0]
    """
    if out.size == 0:
        return out
    # Multiply-adds (every output element sums in_channels x kernel-size products),
    # counted as an eighth of an element-wise operation each: they run 4 to a vector
    # instruction, fused, so a second thread pays off only from about 1M of them.
    work = out.size * input.shape[2] * weight.shape[3] * weight.shape[4] // 8
    launch(
        tensor_conv,
        work,
        *out.kernel_args(),
        *input.kernel_args(),
        *weight.kernel_args(),
        *geometry,
    )
    return out


# --- max pooling ---------------------------------------------------------------


def _taps_inside(start: int, dilation: int, size: int, taps: int) -> tuple[int, int]:
    """The taps ``k`` whose cell ``start + k * dilation`` lies in ``[0, size)``: ``range(first, last)``.

    A window that lies inside the input (the common case) needs no division.
    """
    first = 0 if start >= 0 else (dilation - 1 - start) // dilation
    if start + (taps - 1) * dilation < size:
        return first, taps
    return first, max(first, (size - 1 - start) // dilation + 1)


_taps_inside_jit = njit(inline="always", cache=True)(_taps_inside)


def _window_max_in_order(
    input: Storage,
    base: int,
    steps: tuple[int, int],
    top: int,
    left: int,
    rows: tuple[int, int],
    cols: tuple[int, int],
    dilation: tuple[int, int],
    width: int,
) -> tuple[float, int]:
    """One window compared as :func:`~minitorch.tensor_ops.tensor_max_pool` does: ``(best, found)``.

    The window's cells are ``input[base + h * steps[0] + w * steps[1]]`` for
    ``h = top + kh * dilation[0]``, ``kh`` in ``range(*rows)`` (``w`` alike).
    """
    best = -np.inf
    found = -1
    for kh in range(rows[0], rows[1]):
        h = top + kh * dilation[0]
        for kw in range(cols[0], cols[1]):
            w = left + kw * dilation[1]
            value = input[base + h * steps[0] + w * steps[1]]
            if found < 0 or value > best or value != value:
                best = value
                found = h * width + w
    return best, found


_window_max_in_order_jit = njit(inline="always", cache=True)(_window_max_in_order)


def _max_pool_planes(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    where: Indices,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    first_plane: int,
    last_plane: int,
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_max_pool`, with the same results, in a loop without branches.

    The reference tests ``found < 0 or value > best or value != value`` and the
    input's bounds at every cell: branches that random numbers mispredict. Here
    the taps inside the input are counted first (:func:`_taps_inside`) and the
    loop keeps only ``value > best``, which the compiler turns into selects
    (1.5-2.4x faster on the 2 x 2 poolings of LeNet-5 and DigitsCNN at batch
    32 and 128, one thread, 2-core AMD EPYC). That
    finds the first maximum, as the reference does, unless the window holds a
    NaN, or only -inf: a NaN makes the window's sum NaN (so do both
    infinities), and -inf alone leaves ``found`` at -1; such windows are
    compared again by :func:`_window_max_in_order`.
    """
    channels, out_height, out_width = out_shape[1], out_shape[2], out_shape[3]
    height, width = input_shape[2], input_shape[3]
    steps = (input_strides[2], input_strides[3])
    at = first_plane * out_height * out_width
    for plane in range(first_plane, last_plane):
        b = plane // channels
        c = plane - b * channels
        base = b * input_strides[0] + c * input_strides[1]
        out_base = b * out_strides[0] + c * out_strides[1]
        for y in range(out_height):
            top = y * stride[0] - padding[0]
            rows = _taps_inside_jit(top, dilation[0], height, kernel[0])
            for x in range(out_width):
                left = x * stride[1] - padding[1]
                cols = _taps_inside_jit(left, dilation[1], width, kernel[1])
                best, found, total = -np.inf, -1, 0.0
                for kh in range(rows[0], rows[1]):
                    h = top + kh * dilation[0]
                    for kw in range(cols[0], cols[1]):
                        w = left + kw * dilation[1]
                        value = input[base + h * steps[0] + w * steps[1]]
                        total += value
                        if value > best:
                            best = value
                            found = h * width + w
                if total != total or found < 0:
                    best, found = _window_max_in_order_jit(
                        input, base, steps, top, left, rows, cols, dilation, width
                    )
                out[out_base + y * out_strides[2] + x * out_strides[3]] = best
                where[at] = found
                at += 1


_max_pool_planes_jit = njit(cache=True)(_max_pool_planes)


def _max_pool_planes_backward(
    grad: Storage,
    grad_shape: Shape,
    grad_strides: Strides,
    grad_output: Storage,
    out_shape: Shape,
    out_strides: Strides,
    where: Indices,
    first_plane: int,
    last_plane: int,
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_max_pool_backward`: the same additions, in the same order.

    Where ``grad``'s planes are row-major (as :func:`max_pool_backward` makes
    them), a maximum's place ``h * width + w`` is already its offset in the
    plane, and the division that splits it is skipped (1.7-2.5x faster on
    the gradients of LeNet-5's and DigitsCNN's poolings, one thread, 2-core
    AMD EPYC).
    """
    channels, out_height, out_width = out_shape[1], out_shape[2], out_shape[3]
    width = grad_shape[3]
    row_major = grad_strides[3] == 1 and grad_strides[2] == width
    at = first_plane * out_height * out_width
    for plane in range(first_plane, last_plane):
        b = plane // channels
        c = plane - b * channels
        base = b * grad_strides[0] + c * grad_strides[1]
        out_base = b * out_strides[0] + c * out_strides[1]
        for y in range(out_height):
            for x in range(out_width):
                found = where[at]
                at += 1
                if row_major:
                    position = base + found
                else:
                    h = found // width
                    position = base + h * grad_strides[2] + (found - h * width) * grad_strides[3]
                grad[position] += grad_output[out_base + y * out_strides[2] + x * out_strides[3]]


_max_pool_planes_backward_jit = njit(cache=True)(_max_pool_planes_backward)


def _max_pool_kernel(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    where: Indices,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> None:
    """:func:`_max_pool_planes` on pieces of the planes, in parallel."""
    planes = out_shape[0] * out_shape[1]
    pieces = min(planes, MAX_PIECES)
    for piece in prange(pieces):
        _max_pool_planes_jit(
            out, out_shape, out_strides, where, input, input_shape, input_strides,
            kernel, stride, padding, dilation,
            piece * planes // pieces, (piece + 1) * planes // pieces,
        )  # fmt: skip


def _max_pool_backward_kernel(
    grad: Storage,
    grad_shape: Shape,
    grad_strides: Strides,
    grad_output: Storage,
    out_shape: Shape,
    out_strides: Strides,
    where: Indices,
) -> None:
    """:func:`_max_pool_planes_backward` on pieces of the planes, in parallel."""
    planes = out_shape[0] * out_shape[1]
    pieces = min(planes, MAX_PIECES)
    for piece in prange(pieces):
        _max_pool_planes_backward_jit(
            grad, grad_shape, grad_strides, grad_output, out_shape, out_strides, where,
            piece * planes // pieces, (piece + 1) * planes // pieces,
        )  # fmt: skip


max_pool_kernel = njit(parallel=True, cache=True)(_max_pool_kernel)
max_pool_backward_kernel = njit(parallel=True, cache=True)(_max_pool_backward_kernel)


def max_pool(
    input: Tensor, window: PoolWindow, out_size: tuple[int, int]
) -> tuple[Tensor, Indices]:
    """Compiled max pooling of ``[B, C, H, W]`` (the loop: :func:`_max_pool_planes`).

    >>> import minitorch
    >>> x = minitorch.tensor([[[[1, 5, 2, 0]]]])
    >>> out, where = max_pool(x, PoolWindow((1, 2), (1, 2), (0, 0), (1, 1)), (1, 2))
    >>> out.to_numpy().ravel().tolist(), where.tolist()
    ([5.0, 2.0], [1, 2])
    """
    out = input.zeros((*input.shape[:2], *out_size))
    where = np.empty(out.size, dtype=np.int64)
    work = pooling_work(out.size, window.kernel)
    launch(max_pool_kernel, work, *out.kernel_args(), where, *input.kernel_args(), *window)
    return out, where


def max_pool_backward(grad_output: Tensor, where: Indices, shape: Shape) -> Tensor:
    """The compiled gradient of :func:`max_pool`: each output's gradient to its maximum.

    >>> import minitorch
    >>> d = minitorch.tensor([[[[10, 20]]]])
    >>> max_pool_backward(d, np.array([1, 1]), (1, 1, 1, 4)).to_numpy().ravel().tolist()
    [0.0, 30.0, 0.0, 0.0]
    """
    grad = grad_output.zeros(tuple(shape))
    launch(
        max_pool_backward_kernel,
        grad_output.size,
        *grad.kernel_args(),
        *grad_output.kernel_args(),
        where,
    )
    return grad
