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
   ``kernel_width`` runs of ``in_channels``). No unrolled matrix is built. An
   input already stored that way (channels-last, needing no zeros) is read
   where it is (:func:`_input_in_place`): a caller that runs several
   convolutions on one tensor, as the phases of a strided gradient do, lays
   it out once instead of having it packed for every call.
2. :func:`_pack_panel` lays the filters of a block of output channels (8 in
   float64, 16 in float32: two vectors) side by side, number ``k`` of every
   filter together, in the order the windows' runs are read ("taps").
3. :func:`_micro_block` computes 6 windows by one block as outer products:
   each step loads two vectors of weights and multiplies them by one input
   number of each window, 12 vector sums held in registers for the whole loop
   (:mod:`minitorch.simd`). The dot-product kernel it replaced (4 filters x 2
   windows, LLVM vectorising along the run, a horizontal sum per run) ran up
   to 2.3x slower on the forward passes of ``tests/bench/bench_conv.py``
   (ResNet's 7 x 7 stem 10.8 -> 25.1 GFLOP/s, VGG-16's conv3_1 28.6 -> 40.3,
   its conv5 at batch 1 13.2 -> 24.9; a few layers equal).
4. ``prange`` runs jobs of one block x a piece of the positions, positions
   running over the batch too, so that a weight gradient, whose output is only
   kernel-sized, still has enough of them. Each job packs its own block's
   panel, which then stays in the L2 cache while its micro-blocks read it
   (packing every panel at once first cost 4.5 ms of a 11 ms layer).
5. With fewer output channels than half a block, or fewer positions than a
   job's, an outer product would mostly multiply zeros: :func:`_triple_job`
   takes dot products of 3 filters with 3 windows instead (:func:`_narrow_job`
   one filter's with 4 windows, for a single channel), reading filters
   already stored in the packed order where they are (:func:`_flat_filters`;
   a weight gradient's ``grad_output`` is laid out so once for all phases).
6. With one input channel a tap is too short for either. Where item 7
   does not apply (fewer than 4 output channels in a group, as in a
   depthwise layer, or a strided output) and the output plane is larger
   than the kernel, :func:`_plane_job` copies each image's plane once, with
   its zeros, into the phases of its stride, and sums each output row by
   row as one flat run (:func:`_plane_sums`: 8 vectors of outputs in
   registers, each weight number broadcast). Where instead the outputs are
   few and the filters long planes, as in a depthwise layer's weight
   gradient, :func:`_dots_job` takes each output as one long dot product,
   the input copied into the phases of the dilation so that a window is
   one run (MobileNet's stride-2 depthwise weight gradient, float32: 5.2
   -> 2.6 ms, without the phases of item 5's path; 2-core AMD EPYC).
7. Where the outputs lie side by side in channels-first rows and filters are
   short (``ROWS_MAX_FILTER``: few input channels, or a 1 x 1 kernel), the
   forward pass and the input gradient go to :func:`tensor_conv_rows`, which runs
   its vectors along the width instead (:func:`_row_micro_block`: 6 output
   channels x 2 vectors of positions, the weights broadcast). The input is
   read where it is, or copied with its zeros into its phases (cells a
   stride apart side by side, so that a strided layer's taps read adjacent
   numbers too), and the sums are stored as whole vectors: no channels-last
   copy and no scattered writes
   (WaveNet's 1 x 1 layer 1.75 -> 0.55 ms, QuartzNet's pointwise one 3.05 ->
   1.97 ms, MobileNet's 32 -> 64 pointwise one 1.62 -> 0.53 ms; with one
   input channel, wav2vec 2.0's first layer 3.6 -> 1.1 ms). A job there runs
   several blocks of output channels over a tile of the input that stays in
   the L2 cache (:func:`_row_tiles`), and asks for the input of the
   micro-blocks ahead (``simd.prefetch``), since each step of its sum reads
   another row: MobileNet's 64 -> 32 pointwise input gradient 0.97 -> 0.65 ms,
   QuartzNet's 3.30 -> 2.53 ms, a 512 -> 10 channel 1 x 1 layer over 2 x 1599
   positions 4.8 -> 1.2 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import config, prange

from . import simd
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

# A micro-block is WINDOWS windows x 2 vectors of output channels (8 in float64, 16
# in float32): 12 vector sums, 2 weight vectors and 1 input number fill AVX2's 16
# registers. A job is RUN positions (8 micro-blocks) of one block of output channels,
# so that the block's panel of filters, read once by each micro-block, stays in the
# L2 cache.
WINDOWS = 6
RUN = 8 * WINDOWS
# Jobs per thread of the outer-product path. Every piece of a block's runs packs
# the block's panel again, so pieces past what balances the threads only copy:
# cut into 64 jobs rather than 8 per thread, the phases of the input gradient of
# ResNet-18's stride-2 3 x 3 layers ran 1.4-1.9x slower (2 cores, AMD EPYC).
# The thread count is read when the kernel compiles (a cached kernel keeps it); it
# only sets how finely the work is cut.
PANEL_JOBS = 8
THREADS: int = config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
# Vectors of sums one step of the one-channel kernel (:func:`_plane_sums`) keeps in
# registers: 8 independent chains of multiply-adds, one load each per tap, twice what
# hides a multiply-add's latency (4 ran as fast on MobileNet's 56 x 56 planes).
PLANE_VECTORS = 8


def _span(
    out_shape: Shape, weight_shape: Shape, stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int]:
    """Rows and columns of the (padded) input that the output's windows cover."""
    return (
        (out_shape[3] - 1) * stride[0] + (weight_shape[3] - 1) * dilation[0] + 1,
        (out_shape[4] - 1) * stride[1] + (weight_shape[4] - 1) * dilation[1] + 1,
    )


_span_jit = njit(cache=True)(_span)


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
    if channels == 1 and input_strides[4] == 1:  # a plain copy, which the compiler vectorises
        to = row * span[1]
        for i in range(first, last):
            padded[to + i] = input[source + i]
        return
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


def _pack_panel(
    panels: Storage,
    first: int,
    block: int,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    flip: bool,
    width: int,
) -> None:
    """Copy the filters of output-channel block ``block`` to ``panels[first:]``, ``width`` side by side.

    Blocks number ``(g, o // width)``. Each filter is laid out in ``(kh, kw,
    c)`` order, the order :func:`_tap_layout` cuts into taps: its number
    ``k`` goes to ``panels[first + k * width + lane]`` (``lane = o % width``), so
    the micro-kernel loads one number of every filter of the block as two
    vectors. Lanes past the last channel are zeros. With ``width`` 1 this is
    the filters one after another.
    """
    _, out_channels, channels, kernel_height, kernel_width = weight_shape
    blocks = (out_channels + width - 1) // width
    g = block // blocks
    o0 = (block - g * blocks) * width
    used = min(width, out_channels - o0)
    source = g * weight_strides[0] + o0 * weight_strides[1]
    # Each filter is read in its own order (channel, row, column: 8 streams forward)
    # and each step writes the panel's 8 numbers of one k together, a whole cache
    # line (writing a filter at a time touched a line per number: 512 x 512 x 3 x 3
    # took 7.6 ms instead of 2.2 ms, 2-core AMD EPYC).
    for c in range(channels):
        for kh in range(kernel_height):
            row = source + c * weight_strides[2]
            row += (kernel_height - 1 - kh if flip else kh) * weight_strides[3]
            for kw in range(kernel_width):
                at = row + (kernel_width - 1 - kw if flip else kw) * weight_strides[4]
                to = first + ((kh * kernel_width + kw) * channels + c) * width
                for lane in range(used):
                    panels[to + lane] = weight[at + lane * weight_strides[1]]
                for lane in range(used, width):
                    panels[to + lane] = 0.0


_pack_panel_jit = njit(inline="always", cache=True)(_pack_panel)


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


def _flat_filters(
    weight: Storage, weight_shape: Shape, weight_strides: Strides, flip: bool
) -> tuple[Storage, Index]:
    """The filters one after another, in ``(kh, kw, c)`` order: where they are if stored so, else a copy.

    Returned with where filter ``g * O + o`` starts. (A weight gradient's
    ``grad_output`` is laid out so once for all its phases.) Filters are
    copied in parallel, one a job (the weight gradient of VGG-16's conv1_1,
    64 filters of 8 x 32 x 32 numbers: 3.2-3.6 -> 2.2-2.4 ms; 2-core AMD EPYC).
    """
    in_place = _filters_in_place_jit(weight_shape, weight_strides, flip)
    filter_at = _filter_starts_jit(weight_shape, weight_strides, in_place)
    if in_place:
        return weight, filter_at
    size = weight_shape[2] * weight_shape[3] * weight_shape[4]
    filters = np.empty(filter_at.size * size, weight.dtype)
    for go in prange(filter_at.size):
        _pack_panel_jit(filters, go * size, go, weight, weight_shape, weight_strides, flip, 1)
    return filters, filter_at


_flat_filters_jit = njit(parallel=True, cache=True)(_flat_filters)


def _micro_block(
    panel: Storage,
    shape: tuple[int, int],
    offsets: Index,
    padded: Storage,
    starts: Index,
    sums: Storage,
) -> None:
    """The sums of 6 windows by one block of output channels, 12 vectors: ``sums[p * width + lane]``.

    Window ``p`` starts at ``padded[starts[p]]``; ``panel`` holds the block's
    filters (:func:`_pack_panel`), each of ``shape = (taps, length)``. Each step
    of the inner loop loads two vectors of weights (one number of every
    filter) and multiplies each by one input number of each window: an outer
    product, 12 fused multiply-adds for 8 loads, every sum in a register
    until the end (see :mod:`minitorch.simd`).
    """
    n = simd.lanes(panel)
    a0 = b0 = a1 = b1 = a2 = b2 = a3 = b3 = a4 = b4 = a5 = b5 = simd.zeros(sums)
    taps, length = shape
    w = 0
    for tap in range(taps):
        s0 = starts[0] + offsets[tap]
        s1 = starts[1] + offsets[tap]
        s2 = starts[2] + offsets[tap]
        s3 = starts[3] + offsets[tap]
        s4 = starts[4] + offsets[tap]
        s5 = starts[5] + offsets[tap]
        for j in range(length):
            wa = simd.load(panel, w)
            wb = simd.load(panel, w + n)
            w += 2 * n
            x = simd.splat(padded, s0 + j)
            a0 = simd.fma(x, wa, a0)
            b0 = simd.fma(x, wb, b0)
            x = simd.splat(padded, s1 + j)
            a1 = simd.fma(x, wa, a1)
            b1 = simd.fma(x, wb, b1)
            x = simd.splat(padded, s2 + j)
            a2 = simd.fma(x, wa, a2)
            b2 = simd.fma(x, wb, b2)
            x = simd.splat(padded, s3 + j)
            a3 = simd.fma(x, wa, a3)
            b3 = simd.fma(x, wb, b3)
            x = simd.splat(padded, s4 + j)
            a4 = simd.fma(x, wa, a4)
            b4 = simd.fma(x, wb, b4)
            x = simd.splat(padded, s5 + j)
            a5 = simd.fma(x, wa, a5)
            b5 = simd.fma(x, wb, b5)
    for p, (a, b) in enumerate(((a0, b0), (a1, b1), (a2, b2), (a3, b3), (a4, b4), (a5, b5))):
        simd.store(sums, 2 * n * p, a)
        simd.store(sums, 2 * n * p + n, b)


_micro_block_jit = njit(inline="always", cache=True)(_micro_block)


def _channel_biases(bias: Storage, bias_shape: Shape, bias_strides: Strides) -> Storage:
    """The bias of output channel ``g * O + o`` at ``[g * O + o]`` (``bias`` is ``[G, O]``); empty if none."""
    groups, out_channels = bias_shape[0], bias_shape[1]
    biases = np.empty(groups * out_channels, bias.dtype)
    for g in range(groups):
        for o in range(out_channels):
            biases[g * out_channels + o] = bias[g * bias_strides[0] + o * bias_strides[1]]
    return biases


_channel_biases_jit = njit(cache=True)(_channel_biases)


def _plus_bias(value: float, biases: Storage, channel: int) -> float:
    """``value`` plus the bias of ``channel`` (from :func:`_channel_biases`); ``value`` if there is none."""
    return value + biases[channel] if biases.size > 0 else value


_plus_bias_jit = njit(inline="always", cache=True)(_plus_bias)


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
    rows past ``count`` repeat the last position, so that a micro-block of
    ``WINDOWS`` is always full (its extra sums are computed and dropped).
    """
    _, _, _, out_height, out_width = out_shape
    image = out_height * out_width
    places = np.empty((RUN, 2), np.int64)
    b = first // image
    y = (first - b * image) // out_width
    x = first - b * image - y * out_width
    for n in range(RUN):
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


def _dot_products(
    filters: Storage,
    first: int,
    shape: tuple[int, int],
    padded: Storage,
    starts: Index,
    offsets: Index,
) -> tuple[float, float, float, float]:
    """One filter (at ``filters[first]``) with 4 windows: 4 dot products.

    For a group with fewer output channels than half a panel's width (a
    depthwise layer's gradients have one), where an outer product would mostly
    multiply zeros. The loop over ``j`` reads 1-D slices, so LLVM vectorises it.
    """
    taps, length = shape
    a0 = a1 = a2 = a3 = zero_of(filters)
    for tap in range(taps):
        w = filters[first + tap * length : first + (tap + 1) * length]
        x0 = padded[starts[0] + offsets[tap] : starts[0] + offsets[tap] + length]
        x1 = padded[starts[1] + offsets[tap] : starts[1] + offsets[tap] + length]
        x2 = padded[starts[2] + offsets[tap] : starts[2] + offsets[tap] + length]
        x3 = padded[starts[3] + offsets[tap] : starts[3] + offsets[tap] + length]
        for j in range(length):
            wj = w[j]
            a0 += wj * x0[j]
            a1 += wj * x1[j]
            a2 += wj * x2[j]
            a3 += wj * x3[j]
    return a0, a1, a2, a3


_dot_products_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_dot_products)


def _dot_block(
    filters: Storage,
    first: tuple[int, int, int],
    shape: tuple[int, int],
    padded: Storage,
    starts: Index,
    offsets: Index,
    sums: Storage,
) -> None:
    """3 filters (at ``filters[first[f]]``) with 3 windows: 9 dot products, ``sums[3 * f + p]``.

    :func:`_dot_products` for more than one output channel: each number of a
    window is loaded once for 3 filters, 6 loads for 9 multiply-adds where
    one filter's dot products take 5 for 4 (the input gradient of ResNet's
    stem, 3 channels, 0.62-0.90 -> 0.44-0.58 ms a phase; the weight gradient
    of MobileNet's 32 -> 64 pointwise layer, 32 positions, 2.4 -> 1.8 ms;
    2-core AMD EPYC).
    """
    taps, length = shape
    a00 = a01 = a02 = a10 = a11 = a12 = a20 = a21 = a22 = zero_of(filters)
    for tap in range(taps):
        u = filters[first[0] + tap * length : first[0] + (tap + 1) * length]
        v = filters[first[1] + tap * length : first[1] + (tap + 1) * length]
        w = filters[first[2] + tap * length : first[2] + (tap + 1) * length]
        x0 = padded[starts[0] + offsets[tap] : starts[0] + offsets[tap] + length]
        x1 = padded[starts[1] + offsets[tap] : starts[1] + offsets[tap] + length]
        x2 = padded[starts[2] + offsets[tap] : starts[2] + offsets[tap] + length]
        for j in range(length):
            a00 += u[j] * x0[j]
            a01 += u[j] * x1[j]
            a02 += u[j] * x2[j]
            a10 += v[j] * x0[j]
            a11 += v[j] * x1[j]
            a12 += v[j] * x2[j]
            a20 += w[j] * x0[j]
            a21 += w[j] * x1[j]
            a22 += w[j] * x2[j]
    sums[0], sums[1], sums[2] = a00, a01, a02
    sums[3], sums[4], sums[5] = a10, a11, a12
    sums[6], sums[7], sums[8] = a20, a21, a22


_dot_block_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_dot_block)


def _triple_job(
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
    biases: Storage,
) -> None:
    """Output channels ``o0 .. o0 + 2`` of group ``g`` (``block = (g, o0, O)``) at ``count`` positions.

    A block past the last channel repeats it (its sums are dropped), as
    positions past ``count`` repeat the last one in ``places``.
    """
    g, o0, out_channels = block
    used = min(3, out_channels - o0)
    go = g * out_channels + o0
    first = (filter_at[go], filter_at[go + min(1, used - 1)], filter_at[go + used - 1])
    sums = np.empty(9, out.dtype)
    for q in range((count + 2) // 3):
        _dot_block_jit(filters, first, shape, padded, places[3 * q :, 0], offsets, sums)
        for p in range(min(3, count - 3 * q)):
            for f in range(used):
                value = _plus_bias_jit(sums[3 * f + p], biases, go + f)
                out[places[3 * q + p, 1] + (o0 + f) * out_strides[2]] = value


_triple_job_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_triple_job)


def _narrow_job(
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
    biases: Storage,
) -> None:
    """Output channel ``o`` of group ``g`` (``block = (g, o, O)``) at ``count`` positions of ``places``.

    Filter ``g * O + o`` starts at ``filters[filter_at[g * O + o]]``.
    """
    g, o, out_channels = block
    first = filter_at[g * out_channels + o]
    for q in range((count + 3) // 4):
        sums = _dot_products_jit(filters, first, shape, padded, places[4 * q :, 0], offsets)
        for p in range(min(4, count - 4 * q)):
            value = _plus_bias_jit(sums[p], biases, g * out_channels + o)
            out[places[4 * q + p, 1] + o * out_strides[2]] = value


_narrow_job_jit = njit(inline="always", cache=True, fastmath=_FASTMATH)(_narrow_job)


def _panel_job(
    out: Storage,
    out_strides: Strides,
    panel: Storage,
    shape: tuple[int, int],
    block: tuple[int, int, int],
    padded: Storage,
    places: Index,
    offsets: Index,
    count: int,
    sums: Storage,
    biases: Storage,
) -> None:
    """Output channels ``o0 ..`` (the width of ``panel``) at ``count`` positions of ``places``.

    ``block = (g, o0, O)``; every filter has ``shape = (taps, length)``. ``sums``
    holds a micro-block's results (``WINDOWS`` times the panel's width).
    """
    g, o0, out_channels = block
    width = 2 * simd.lanes(panel)
    for m in range((count + WINDOWS - 1) // WINDOWS):
        _micro_block_jit(panel, shape, offsets, padded, places[WINDOWS * m :, 0], sums)
        for p in range(min(WINDOWS, count - WINDOWS * m)):
            at = places[WINDOWS * m + p, 1]
            for lane in range(min(width, out_channels - o0)):
                value = _plus_bias_jit(
                    sums[p * width + lane], biases, g * out_channels + o0 + lane
                )
                out[at + (o0 + lane) * out_strides[2]] = value


_panel_job_jit = njit(inline="always", cache=True)(_panel_job)


def _plane_tiles(
    out_shape: Shape,
    weight_shape: Shape,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    itemsize: int,
) -> tuple[int, int, int]:
    """How the one-channel kernel cuts its work: ``(rows, buffer rows, pitch)`` per job.

    A job computes ``rows`` output rows of one image's plane. Its input is
    copied into a buffer of the plane's phases (cells a stride apart side by
    side, as in :func:`_pack_rows`), each ``buffer rows`` rows of ``pitch``
    numbers. Planes are cut into rows only until every thread has
    ``PANEL_JOBS`` jobs, and until a job's buffer fits ``ROWS_TILE_BYTES``.
    """
    groups, batch, _, out_height, _ = out_shape
    span = _span_jit(out_shape, weight_shape, stride, dilation)
    pitch = -(-span[1] // stride[1])
    below = (weight_shape[3] - 1) * dilation[0] // stride[0]  # phase rows past a window's first
    pieces = min(out_height, max(1, -(-PANEL_JOBS * THREADS // (groups * batch))))
    fit = max(1, ROWS_TILE_BYTES // (stride[0] * stride[1] * pitch * itemsize) - below)
    rows = min(-(-out_height // pieces), fit)
    return rows, rows + below, pitch


_plane_tiles_jit = njit(cache=True)(_plane_tiles)


def _phase_offsets(
    counts: tuple[int, int],
    step: tuple[int, int],
    phases: tuple[int, int],
    buffer_rows: int,
    pitch: int,
) -> Index:
    """Where cell ``(i * step_h, j * step_w)`` lies in a buffer of ``phases``, for ``i, j < counts``.

    The buffer holds the phases of a plane (cells ``phases`` apart side by
    side, :func:`_pack_plane`), each ``buffer_rows`` rows of ``pitch``
    numbers: cell ``(h, v)`` is in phase ``(h % p_h, v % p_w)``, ``h // p_h``
    rows and ``v // p_w`` columns on. With the kernel's taps (step the
    dilation, phases the stride) these are each tap's offset from a window's
    first number; with the outputs (step the stride, phases the dilation),
    each window's start.
    """
    offsets = np.empty(counts[0] * counts[1], np.int64)
    for i in range(counts[0]):
        for j in range(counts[1]):
            down, across = i * step[0], j * step[1]
            phase = (down % phases[0]) * phases[1] + across % phases[1]
            offsets[i * counts[1] + j] = (
                phase * buffer_rows + down // phases[0]
            ) * pitch + across // phases[1]
    return offsets


_phase_offsets_jit = njit(cache=True)(_phase_offsets)


def _pack_plane(
    buffer: Storage,
    input: Storage,
    at: int,
    input_shape: Shape,
    input_strides: Strides,
    first: int,
    tiles: tuple[int, int, int],
    stride: tuple[int, int],
    offset: tuple[int, int],
) -> None:
    """Copy the phases of a plane's padded rows from ``first * s_h`` on into ``buffer``, zeros outside.

    The plane starts at ``input[at]``. Padded cell ``(h, i)`` (input cell
    ``(h - offset_h, i - offset_w)``) goes to phase ``(h % s_h, i % s_w)``,
    row ``h // s_h - first``, column ``i // s_w``. Every number of the
    phases is written, so the buffer is reused from plane to plane.
    """
    height, width = input_shape[3], input_shape[4]
    _, buffer_rows, pitch = tiles
    step = input_strides[4]  # a local: the stores below might alias the array, to the compiler
    for phase in range(stride[0] * stride[1]):
        down, across = phase // stride[1], phase % stride[1]
        # Columns q with an input cell: q * s_w + across - offset_w in [0, width).
        lo = min(pitch, max(0, -((across - offset[1]) // stride[1])))
        hi = min(pitch, max(lo, -((across - offset[1] - width) // stride[1])))
        for r in range(buffer_rows):
            to = (phase * buffer_rows + r) * pitch
            h = (first + r) * stride[0] + down - offset[0]
            if h < 0 or h >= height:
                buffer[to : to + pitch] = 0.0
                continue
            buffer[to : to + lo] = 0.0
            start = at + h * input_strides[3] + (lo * stride[1] + across - offset[1]) * step
            if step == 1 and stride[1] == 1:  # a plain copy, which the compiler vectorises
                buffer[to + lo : to + hi] = input[start : start + hi - lo]
            else:
                for q in range(hi - lo):
                    buffer[to + lo + q] = input[start + q * stride[1] * step]
            buffer[to + hi : to + pitch] = 0.0


_pack_plane_jit = njit(cache=True)(_pack_plane)


def _plane_sums(sums: Storage, buffer: Storage, steps: Index, taps: Storage, count: int) -> None:
    """``sums[i] = taps[T] + sum_t taps[t] * buffer[i + steps[t]]`` for ``i < count`` (``T`` taps).

    Output ``(y, x)`` of a job is flat number ``i = y * pitch + x`` (columns
    past the output's width are computed and dropped), so every tap reads
    one run of the buffer however short the rows. Each step holds 8 vectors
    of sums in registers across all taps: one load and one multiply-add per
    tap and vector, where the loop it replaced loaded and stored a row of
    sums for every tap, row by row (MobileNet's 56 x 56 depthwise layer,
    float32 forward: 3.0 -> 1.8 ms; 2-core AMD EPYC).
    """
    n = simd.lanes(sums)
    last = steps.size
    for i in range(0, count, PLANE_VECTORS * n):
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = simd.splat(taps, last)
        for t in range(last):
            w = simd.splat(taps, t)
            x = i + steps[t]
            a0 = simd.fma(w, simd.load(buffer, x), a0)
            a1 = simd.fma(w, simd.load(buffer, x + n), a1)
            a2 = simd.fma(w, simd.load(buffer, x + 2 * n), a2)
            a3 = simd.fma(w, simd.load(buffer, x + 3 * n), a3)
            a4 = simd.fma(w, simd.load(buffer, x + 4 * n), a4)
            a5 = simd.fma(w, simd.load(buffer, x + 5 * n), a5)
            a6 = simd.fma(w, simd.load(buffer, x + 6 * n), a6)
            a7 = simd.fma(w, simd.load(buffer, x + 7 * n), a7)
        for k, a in enumerate((a0, a1, a2, a3, a4, a5, a6, a7)):
            simd.store(sums, i + k * n, a)


_plane_sums_jit = njit(cache=True)(_plane_sums)


def _store_row(out: Storage, at: int, step: int, sums: Storage, first: int, width: int) -> None:
    """``out[at + x * step] = sums[first + x]`` for ``x < width``: a plain copy when ``step`` is 1.

    Copied one number at a time, 3136 numbers a plane took 4.4 us of a job's 11
    (MobileNet's 56 x 56 depthwise layer, float32, one thread, 2-core AMD EPYC).
    """
    if step == 1:
        out[at : at + width] = sums[first : first + width]
    else:
        for x in range(width):
            out[at + x * step] = sums[first + x]


_store_row_jit = njit(cache=True)(_store_row)


def _plane_job(
    job: int,
    jobs: int,
    tiles: tuple[int, int, int],
    steps: Index,
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    biases: Storage,
    stride: tuple[int, int],
    offset: tuple[int, int],
    flip: bool,
) -> None:
    """Job ``job`` of ``jobs`` of the one-channel kernel: rows of every output channel of some planes.

    Each image's plane is cut into pieces of ``rows`` rows (:func:`_plane_tiles`);
    pieces number ``(g, b, piece)`` and the job takes a run of them, its buffers
    made once. A piece's input is copied into its phases once
    (:func:`_pack_plane`); then each filter's sums run over it
    (:func:`_plane_sums`) and are stored in place.
    """
    groups, batch, out_channels, out_height, out_width = out_shape
    kernel_height, kernel_width = weight_shape[3], weight_shape[4]
    rows, buffer_rows, pitch = tiles
    pieces = (out_height + rows - 1) // rows
    step = PLANE_VECTORS * simd.lanes(out)
    computed = ((rows - 1) * pitch + out_width + step - 1) // step * step
    phases = stride[0] * stride[1] * buffer_rows * pitch
    reach = 0  # the farthest step (a loop: np.max would load Numba's array-math registry)
    for t in range(steps.size):
        reach = max(reach, steps[t])
    buffer = np.empty(max(phases, computed + reach), input.dtype)
    buffer[phases:] = 0.0  # read only by the sums dropped past the rows' ends
    sums = np.empty(computed, out.dtype)
    taps = np.empty(steps.size + 1, weight.dtype)
    total = groups * batch * pieces
    for piece in range(job * total // jobs, (job + 1) * total // jobs):
        g, b = piece // pieces // batch, piece // pieces % batch
        y0 = piece % pieces * rows
        y1 = min(out_height, y0 + rows)
        at = g * input_strides[0] + b * input_strides[1]
        _pack_plane_jit(buffer, input, at, input_shape, input_strides, y0, tiles, stride, offset)
        for o in range(out_channels):
            source = g * weight_strides[0] + o * weight_strides[1]
            for kh in range(kernel_height):
                for kw in range(kernel_width):
                    down = kernel_height - 1 - kh if flip else kh
                    across = kernel_width - 1 - kw if flip else kw
                    at_w = source + down * weight_strides[3] + across * weight_strides[4]
                    taps[kh * kernel_width + kw] = weight[at_w]
            taps[steps.size] = _plus_bias_jit(0.0, biases, g * out_channels + o)
            _plane_sums_jit(sums, buffer, steps, taps, (y1 - y0 - 1) * pitch + out_width)
            at = g * out_strides[0] + b * out_strides[1] + o * out_strides[2]
            for y in range(y1 - y0):
                row = at + (y0 + y) * out_strides[3]
                _store_row_jit(out, row, out_strides[4], sums, y * pitch, out_width)


_plane_job_jit = njit(cache=True)(_plane_job)


def _filter_plane(
    plane: Storage,
    weight: Storage,
    at: int,
    weight_shape: Shape,
    weight_strides: Strides,
    pitch: int,
    flip: bool,
) -> None:
    """Copy the filter plane at ``weight[at]`` into rows of ``pitch`` numbers, zeros after each row.

    Read flipped if ``flip``. The numbers of ``plane`` past its last row stay zero.
    """
    kernel_height, kernel_width = weight_shape[3], weight_shape[4]
    for kh in range(kernel_height):
        row = at + (kernel_height - 1 - kh if flip else kh) * weight_strides[3]
        for kw in range(kernel_width):
            across = kernel_width - 1 - kw if flip else kw
            plane[kh * pitch + kw] = weight[row + across * weight_strides[4]]
        plane[kh * pitch + kernel_width : (kh + 1) * pitch] = 0.0


_filter_plane_jit = njit(cache=True)(_filter_plane)


def _plane_dots(
    sums: Storage,
    plane: Storage,
    buffer: Storage,
    starts: Index,
    first: int,
    count: int,
    at: Index,
    lanes_sums: Storage,
) -> None:
    """Add to ``sums[p]`` the dot product of ``plane[:count]`` with ``buffer[starts[p]:]``, 8 outputs from ``first``.

    Each step loads a vector of the filter once and multiplies it into the
    window of each of up to 8 outputs, 8 vector sums held in registers.
    ``count`` is a whole number of vectors; ``at`` (8) and ``lanes_sums`` are scratch.
    """
    n = simd.lanes(plane)
    last = min(starts.size, first + 8)
    at[:] = 0
    for p in range(first, last):
        at[p - first] = starts[p]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = simd.zeros(plane)
    for j in range(0, count, n):
        w = simd.load(plane, j)
        a0 = simd.fma(w, simd.load(buffer, at[0] + j), a0)
        a1 = simd.fma(w, simd.load(buffer, at[1] + j), a1)
        a2 = simd.fma(w, simd.load(buffer, at[2] + j), a2)
        a3 = simd.fma(w, simd.load(buffer, at[3] + j), a3)
        a4 = simd.fma(w, simd.load(buffer, at[4] + j), a4)
        a5 = simd.fma(w, simd.load(buffer, at[5] + j), a5)
        a6 = simd.fma(w, simd.load(buffer, at[6] + j), a6)
        a7 = simd.fma(w, simd.load(buffer, at[7] + j), a7)
    for k, a in enumerate((a0, a1, a2, a3, a4, a5, a6, a7)):
        if first + k < last:
            simd.store(lanes_sums, 0, a)
            for i in range(n):
                sums[first + k] += lanes_sums[i]


_plane_dots_jit = njit(cache=True)(_plane_dots)


def _dots_job(
    job: int,
    jobs: int,
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    biases: Storage,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    offset: tuple[int, int],
    flip: bool,
) -> None:
    """Job ``job`` of ``jobs``: all outputs of some ``(g, b, o)``, for few outputs of long filters.

    That is a weight gradient's shape. The ``(g, b, o)`` are numbered in
    order and the job takes a run of them, its buffers made once (a job each,
    the batch-1 depthwise weight gradient of MobileNet's 512 channels paid
    six allocations per 14 x 14 plane). Output ``(y, x)`` is the dot product of
    the filter with its window, summed over the channels. Each input plane
    is copied into the phases of the dilation (:func:`_pack_plane`), in which
    a window is one run of rows ``pitch`` apart; the filter is copied into
    rows of that ``pitch`` with zeros after each (:func:`_filter_plane`), so
    each dot product is one run of the filter against one run of the buffer
    (:func:`_plane_dots`).
    """
    _, batch, out_channels, out_height, out_width = out_shape
    channels, kernel_height, kernel_width = weight_shape[2], weight_shape[3], weight_shape[4]
    span = _span_jit(out_shape, weight_shape, stride, dilation)
    buffer_rows = -(-span[0] // dilation[0])
    pitch = -(-span[1] // dilation[1])
    tiles = (buffer_rows, buffer_rows, pitch)
    n = simd.lanes(out)
    count = ((kernel_height - 1) * pitch + kernel_width + n - 1) // n * n
    phases = dilation[0] * dilation[1] * buffer_rows * pitch
    buffer = np.zeros(phases + count, input.dtype)  # every start lies inside the phases
    plane = np.zeros(count, weight.dtype)
    starts = _phase_offsets_jit((out_height, out_width), stride, dilation, buffer_rows, pitch)
    sums = np.empty(out_height * out_width, out.dtype)
    lanes_sums = np.empty(n, out.dtype)
    at_8 = np.empty(8, np.int64)
    total = out_shape[0] * batch * out_channels
    for item in range(job * total // jobs, (job + 1) * total // jobs):
        g, b, o = item // (batch * out_channels), item // out_channels % batch, item % out_channels
        sums[:] = 0.0
        for c in range(channels):
            at = g * input_strides[0] + b * input_strides[1] + c * input_strides[2]
            _pack_plane_jit(
                buffer, input, at, input_shape, input_strides, 0, tiles, dilation, offset
            )
            at = g * weight_strides[0] + o * weight_strides[1] + c * weight_strides[2]
            _filter_plane_jit(plane, weight, at, weight_shape, weight_strides, pitch, flip)
            for first in range(0, starts.size, 8):
                _plane_dots_jit(sums, plane, buffer, starts, first, count, at_8, lanes_sums)
        at = g * out_strides[0] + b * out_strides[1] + o * out_strides[2]
        for y in range(out_height):
            for x in range(out_width):
                value = _plus_bias_jit(sums[y * out_width + x], biases, g * out_channels + o)
                out[at + y * out_strides[3] + x * out_strides[4]] = value


_dots_job_jit = njit(cache=True)(_dots_job)


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
    bias: Storage,
    bias_shape: Shape,
    bias_strides: Strides,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    offset: tuple[int, int],
    flip: bool,
) -> None:
    """The general grouped convolution on 5-D views; every tensor may be strided.

    Shapes and the loop are in the module docstring; ``bias`` is ``[G, O]``
    (``[1, 0]`` for none), added to every output of its channel as the sums
    are stored, and the last four arguments are the fields of
    :class:`~minitorch.tensor_ops.ConvGeometry`. Every element of ``out`` is
    written. An input or a weight already laid out as the kernel packs them
    is read where it is.
    """
    groups, batch, out_channels, out_height, out_width = out_shape
    channels = input_shape[2]
    biases = _channel_biases_jit(bias, bias_shape, bias_strides)
    if channels == 1 and out_height * out_width > weight_shape[3] * weight_shape[4]:
        tiles = _plane_tiles_jit(out_shape, weight_shape, stride, dilation, input.itemsize)
        kernel = (weight_shape[3], weight_shape[4])
        steps = _phase_offsets_jit(kernel, dilation, stride, tiles[1], tiles[2])
        jobs = min(groups * batch * ((out_height + tiles[0] - 1) // tiles[0]), MAX_PIECES)
        for job in prange(jobs):
            _plane_job_jit(
                job, jobs, tiles, steps, out, out_shape, out_strides, input, input_shape,
                input_strides, weight, weight_shape, weight_strides, biases, stride, offset, flip,
            )  # fmt: skip
        return
    width = 2 * simd.lanes(weight)
    positions = batch * out_height * out_width
    panels = 2 * out_channels >= width and positions >= RUN
    # Each job copies its input planes and filters: only where few jobs share them.
    few = batch * out_channels <= 2
    if few and not panels and 4 * out_height * out_width <= weight_shape[3] * weight_shape[4]:
        jobs = min(groups * batch * out_channels, MAX_PIECES)
        for job in prange(jobs):
            _dots_job_jit(
                job, jobs, out, out_shape, out_strides, input, input_shape, input_strides, weight,
                weight_shape, weight_strides, biases, stride, dilation, offset, flip,
            )  # fmt: skip
        return
    span = _span_jit(out_shape, weight_shape, stride, dilation)
    padded = input
    grid = (input_strides[0], input_strides[1], input_strides[3], input_strides[4])
    if not _input_in_place_jit(input_shape, input_strides, span, offset):
        padded = np.zeros(groups * batch * span[0] * span[1] * channels, input.dtype)
        for row in prange(groups * batch * span[0]):
            _pack_row_jit(padded, row, input, input_shape, input_strides, span, offset)
        image = span[0] * span[1] * channels
        grid = (batch * image, image, span[1] * channels, channels)
    length, offsets = _tap_layout_jit(weight_shape, grid[2], dilation)
    shape = (offsets.size, length)
    runs = (positions + RUN - 1) // RUN
    if panels:
        # Each job packs its block's panel and computes it over a piece of the runs of
        # positions: only as many pieces as PANEL_JOBS jobs per thread need.
        blocks = (out_channels + width - 1) // width
        pieces = min(runs, max(1, PANEL_JOBS * THREADS // (groups * blocks)))
        for job in prange(groups * blocks * pieces):
            block = job // pieces
            panel = np.empty(shape[0] * shape[1] * width, weight.dtype)
            _pack_panel_jit(panel, 0, block, weight, weight_shape, weight_strides, flip, width)
            sums = np.empty(WINDOWS * width, out.dtype)
            g = block // blocks
            ranks = (g, (block - g * blocks) * width, out_channels)
            piece = job - block * pieces
            for run in range(piece * runs // pieces, (piece + 1) * runs // pieces):
                count = min(RUN, positions - run * RUN)
                places = _places_jit(run * RUN, count, g, out_shape, out_strides, grid, stride)
                _panel_job_jit(
                    out, out_strides, panel, shape, ranks, padded, places, offsets, count, sums,
                    biases,
                )  # fmt: skip
        return
    filters, filter_at = _flat_filters_jit(weight, weight_shape, weight_strides, flip)
    # Output channels by threes (:func:`_dot_block`), or one alone.
    per = 3 if out_channels > 1 else 1
    triples = (out_channels + per - 1) // per
    for job in prange(groups * runs * triples):
        g = job // (runs * triples)
        first = (job // triples - g * runs) * RUN
        count = min(RUN, positions - first)
        places = _places_jit(first, count, g, out_shape, out_strides, grid, stride)
        block = (g, job % triples * per, out_channels)
        if per == 3:
            _triple_job_jit(
                out, out_strides, filters, filter_at, shape, block, padded, places, offsets, count,
                biases,
            )  # fmt: skip
        else:
            _narrow_job_jit(
                out, out_strides, filters, filter_at, shape, block, padded, places, offsets, count,
                biases,
            )  # fmt: skip


tensor_conv = njit(parallel=True, cache=True, fastmath=_FASTMATH)(_tensor_conv)


# --- channels-first rows ------------------------------------------------------

# Output channels of one micro-block of the channels-first kernel: 6 broadcast weights
# times 2 vectors of positions are its 12 sums.
ROW_BLOCK = 6


# Most numbers in a filter for :func:`tensor_conv_rows`. Each step of its sum reads a
# run of another input row, where the channels-last kernel reads one contiguous run
# that the hardware prefetches: past this the rows kernel ran 5-26% slower (VGG-16's
# conv3_1, 1152 numbers; wav2vec 2.0's 3-tap layer, 1536), below it up to 3x faster
# (WaveNet's 1 x 1 layer, 32 numbers; QuartzNet's pointwise one, 256); 2-core AMD EPYC.
ROWS_MAX_FILTER = 256
# Bytes of the input one job's tile reads, and of one cut's panels (see _row_tiles):
# half of a Zen 3 core's L2 cache. Jobs of one block over whole rows, as before,
# read the input again from memory for every block of 6 output channels.
ROWS_TILE_BYTES = 128 * 1024
# Micro-blocks ahead whose input the rows kernel prefetches: a 1 x 1 layer from 512 to
# 10 channels over 2 x 1599 positions (its input 6.5 MB an image, read where it is)
# ran in 4.8 ms without, 1.2 ms with 4 (1.7 with 2, 1.3 with 8); 2-core AMD EPYC.
PREFETCH_AHEAD = 4


def _rows_fit(
    out_shape: Shape, out_strides: Strides, filter_size: int, pointwise: bool, lanes: int
) -> bool:
    """Whether :func:`tensor_conv_rows` computes this convolution.

    Its outputs must lie side by side along the width, rows at least two
    vectors long, and each filter hold from 2 to ``ROWS_MAX_FILTER`` numbers
    (``in_channels * kernel_height * kernel_width``). That includes a single
    input channel with 4 or more output channels (an image's or a waveform's
    first layer), which a row-by-row kernel (since replaced) computed 3-5x
    slower, a channel at a time (wav2vec 2.0's first layer 3.6 -> 1.1 ms, LeNet-5's C1
    at batch 64 1.9 -> 0.6 ms; 2-core AMD EPYC). A ``pointwise`` (1 x 1)
    filter fits at any length: its rows are the input's own, read in place,
    where the channels-last kernel would first copy the input transposed
    (ResNet-50's 512 -> 128 input gradient 7.4 -> 7.0 ms; the gradient of
    wav2vec 2.0's first layer's columns, 512 -> 10 channels, 9.2 -> 1.2 ms).
    """
    return (
        out_strides[4] == 1
        and out_shape[4] >= 2 * lanes
        and out_shape[2] >= 4
        and filter_size > 1
        and (filter_size <= ROWS_MAX_FILTER or pointwise)
    )


def _pack_rows(
    source: Storage,
    row: int,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    grid: Index,
    stride: tuple[int, int],
    span: tuple[int, int],
    offset: tuple[int, int],
) -> None:
    """Copy padded row ``row`` (numbering ``(g, b, c, h)``) of the input into its phases in ``source``.

    Padded cell ``(h, i)`` (input cell ``(h - offset_h, i - offset_w)``, zero
    outside) goes to phase ``(h % s_h, i % s_w)`` of its channel, at row
    ``h // s_h`` and column ``i // s_w``; ``grid`` holds the strides of
    ``source`` (see :func:`tensor_conv_rows`). With stride 1 this is the
    zero-bordered input, channels first.
    """
    _, batch, channels, height, width = input_shape
    plane = row // span[0]
    h = row - plane * span[0]
    if h - offset[0] < 0 or h - offset[0] >= height:
        return
    gb = plane // channels
    c = plane - gb * channels
    g = gb // batch
    b = gb - g * batch
    at = g * input_strides[0] + b * input_strides[1] + c * input_strides[2]
    at += (h - offset[0]) * input_strides[3] - offset[1] * input_strides[4]
    to = g * grid[0] + b * grid[1] + c * grid[2] + (h % stride[0]) * grid[3]
    to += (h // stride[0]) * grid[5]
    if stride[1] == 1 and input_strides[4] == 1:  # a plain copy, which the compiler vectorises
        for i in range(max(0, offset[1]), min(span[1], width + offset[1])):
            source[to + i] = input[at + i]
        return
    for i in range(max(0, offset[1]), min(span[1], width + offset[1])):
        source[to + (i % stride[1]) * grid[4] + i // stride[1]] = input[at + i * input_strides[4]]


_pack_rows_jit = njit(inline="always", cache=True)(_pack_rows)


def _pack_row_panel(
    panel: Storage,
    block: int,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    flip: bool,
) -> None:
    """Copy the filters of output channels ``ROW_BLOCK * block ..`` of group ``g``, 6 side by side.

    ``block`` numbers ``(g, o // ROW_BLOCK)``; number ``k = (c, kh, kw)`` of
    filter ``o0 + i`` goes to ``panel[k * ROW_BLOCK + i]``, zeros past the last
    channel. The micro-kernel broadcasts each.
    """
    _, out_channels, channels, kernel_height, kernel_width = weight_shape
    blocks = (out_channels + ROW_BLOCK - 1) // ROW_BLOCK
    g = block // blocks
    o0 = (block - g * blocks) * ROW_BLOCK
    for i in range(ROW_BLOCK):
        o = min(o0 + i, out_channels - 1)
        source = g * weight_strides[0] + o * weight_strides[1]
        for c in range(channels):
            for kh in range(kernel_height):
                row = source + c * weight_strides[2]
                row += (kernel_height - 1 - kh if flip else kh) * weight_strides[3]
                for kw in range(kernel_width):
                    at = row + (kernel_width - 1 - kw if flip else kw) * weight_strides[4]
                    k = (c * kernel_height + kh) * kernel_width + kw
                    panel[k * ROW_BLOCK + i] = weight[at] if o0 + i < out_channels else 0.0


_pack_row_panel_jit = njit(inline="always", cache=True)(_pack_row_panel)


def _rows_in_place(
    input_shape: Shape,
    input_strides: Strides,
    stride: tuple[int, int],
    span: tuple[int, int],
    offset: tuple[int, int],
) -> bool:
    """Whether :func:`tensor_conv_rows` reads ``input`` itself: rows of adjacent numbers, no zeros needed."""
    return (
        stride[0] == 1
        and stride[1] == 1
        and input_strides[4] == 1
        and offset[0] == 0
        and offset[1] == 0
        and span[0] <= input_shape[3]
        and span[1] <= input_shape[4]
    )


_rows_in_place_jit = njit(cache=True)(_rows_in_place)


def _rows_grid(
    input_shape: Shape,
    input_strides: Strides,
    stride: tuple[int, int],
    span: tuple[int, int],
    in_place: bool,
) -> Index:
    """The strides of the rows :func:`tensor_conv_rows` reads: the input's, or its phases' copy.

    In order: group, image, channel, row phase, column phase, row (a column
    is 1). The copy holds each channel's ``s_h * s_w`` phases, each
    ``ceil(span_h / s_h)`` rows of ``ceil(span_w / s_w)`` numbers.
    """
    grid = np.zeros(6, np.int64)
    if in_place:
        grid[0], grid[1], grid[2] = input_strides[0], input_strides[1], input_strides[2]
        grid[5] = input_strides[3]
        return grid
    columns = -(-span[1] // stride[1])
    grid[5] = columns
    grid[4] = -(-span[0] // stride[0]) * columns
    grid[3] = stride[1] * grid[4]
    grid[2] = stride[0] * grid[3]
    grid[1] = input_shape[2] * grid[2]
    grid[0] = input_shape[1] * grid[1]
    return grid


_rows_grid_jit = njit(cache=True)(_rows_grid)


def _row_steps(
    weight_shape: Shape, grid: Index, stride: tuple[int, int], dilation: tuple[int, int]
) -> Index:
    """Where filter number ``k = (c, kh, kw)`` meets the source, from a window's first number.

    Tap ``(kh, kw)`` reads phase ``(kh * d_h % s_h, kw * d_w % s_w)``,
    ``kh * d_h // s_h`` rows and ``kw * d_w // s_w`` columns on.
    """
    channels, kernel_height, kernel_width = weight_shape[2], weight_shape[3], weight_shape[4]
    steps = np.empty(channels * kernel_height * kernel_width, np.int64)
    for c in range(channels):
        for kh in range(kernel_height):
            for kw in range(kernel_width):
                k = (c * kernel_height + kh) * kernel_width + kw
                down, across = kh * dilation[0], kw * dilation[1]
                steps[k] = (
                    c * grid[2] + (down % stride[0]) * grid[3] + (across % stride[1]) * grid[4]
                )
                steps[k] += (down // stride[0]) * grid[5] + across // stride[1]
    return steps


_row_steps_jit = njit(cache=True)(_row_steps)


def _row_micro_block(
    panel: Storage,
    steps: Index,
    source: Storage,
    base: int,
    out: Storage,
    at: int,
    o_stride: int,
    used: int,
    first: Storage,
) -> None:
    """6 output channels at 2 vectors of adjacent positions: ``out[at + i * o_stride:]``, ``i < used``.

    Step ``k`` of the sum reads the input's run at ``source[base + steps[k]]``
    and multiplies both vectors by filter number ``k`` of each of the 6
    channels, broadcast: 12 sums in registers, 8 loads for 12 multiply-adds,
    and the results stored as whole vectors.
    """
    n = simd.lanes(source)
    a0 = b0 = simd.splat(first, 0)
    a1 = b1 = simd.splat(first, 1)
    a2 = b2 = simd.splat(first, 2)
    a3 = b3 = simd.splat(first, 3)
    a4 = b4 = simd.splat(first, 4)
    a5 = b5 = simd.splat(first, 5)
    for k in range(steps.size):
        x = base + steps[k]
        # Each step reads another row: too many streams for the hardware to see, so
        # the line 4 micro-blocks on is asked for now (PREFETCH_AHEAD).
        simd.prefetch(source, x + PREFETCH_AHEAD * 2 * n)
        xa = simd.load(source, x)
        xb = simd.load(source, x + n)
        w = ROW_BLOCK * k
        v = simd.splat(panel, w)
        a0 = simd.fma(v, xa, a0)
        b0 = simd.fma(v, xb, b0)
        v = simd.splat(panel, w + 1)
        a1 = simd.fma(v, xa, a1)
        b1 = simd.fma(v, xb, b1)
        v = simd.splat(panel, w + 2)
        a2 = simd.fma(v, xa, a2)
        b2 = simd.fma(v, xb, b2)
        v = simd.splat(panel, w + 3)
        a3 = simd.fma(v, xa, a3)
        b3 = simd.fma(v, xb, b3)
        v = simd.splat(panel, w + 4)
        a4 = simd.fma(v, xa, a4)
        b4 = simd.fma(v, xb, b4)
        v = simd.splat(panel, w + 5)
        a5 = simd.fma(v, xa, a5)
        b5 = simd.fma(v, xb, b5)
    for i, (a, b) in enumerate(((a0, b0), (a1, b1), (a2, b2), (a3, b3), (a4, b4), (a5, b5))):
        if i < used:
            simd.store(out, at + i * o_stride, a)
            simd.store(out, at + i * o_stride + n, b)


_row_micro_block_jit = njit(inline="always", cache=True)(_row_micro_block)


def _row_tiles(
    out_shape: Shape,
    weight_shape: Shape,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    itemsize: int,
    lanes: int,
) -> tuple[int, int, int]:
    """How :func:`tensor_conv_rows` cuts its work: ``(blocks, rows, positions)`` per job.

    A job runs a cut of the blocks of output channels of one group over a
    tile of the output: some rows, or a run of one row. Both the cut's
    panels and the input the tile reads fit ``ROWS_TILE_BYTES``, so that each
    panel is read from the L1 cache across the tile and the tile from the L2
    cache across the cut. Rows are split further, in equal pieces, until every thread
    has ``PANEL_JOBS`` jobs.
    """
    groups, batch, out_channels, out_height, width = out_shape
    _, _, channels, kernel_height, kernel_width = weight_shape
    step = 2 * lanes
    blocks = (out_channels + ROW_BLOCK - 1) // ROW_BLOCK
    filter_bytes = channels * kernel_height * kernel_width * itemsize
    cut = max(1, min(blocks, ROWS_TILE_BYTES // (ROW_BLOCK * filter_bytes)))
    cut = -(-blocks // -(-blocks // cut))  # cuts of equal size
    run = min(-(-width // step), max(1, ROWS_TILE_BYTES // (filter_bytes * step))) * step
    reach = (run - 1) * stride[1] + (kernel_width - 1) * dilation[1] + 1
    row_bytes = channels * kernel_height * reach * itemsize  # the input one run reads
    rows_per = max(1, ROWS_TILE_BYTES // row_bytes) if run >= width else 1
    rows = batch * out_height
    jobs = groups * -(-blocks // cut) * -(-width // run)  # for each piece of the rows
    pieces = max(-(-rows // rows_per), min(rows, -(-PANEL_JOBS * THREADS // jobs)))
    return cut, -(-rows // pieces), run


_row_tiles_jit = njit(cache=True)(_row_tiles)


def _rows_job(
    job: int,
    tiles: tuple[int, int, int],
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    source: Storage,
    grid: Index,
    steps: Index,
    panels: Storage,
    firsts: Storage,
) -> None:
    """Job ``job`` of :func:`tensor_conv_rows`: a cut of blocks over a tile (:func:`_row_tiles`).

    Jobs number ``(g, cut, piece of the rows, run)``. Each block's panel is
    ``panels[block * size:]``, the starting sums of its channels ``firsts[6 * block:]``.
    """
    groups, batch, out_channels, out_height, out_width = out_shape
    cut, rows_per, run = tiles
    n = simd.lanes(out)
    blocks = (out_channels + ROW_BLOCK - 1) // ROW_BLOCK
    rows = batch * out_height
    runs = (out_width + run - 1) // run
    pieces = (rows + rows_per - 1) // rows_per
    cuts = (blocks + cut - 1) // cut
    size = panels.size // (groups * blocks)
    g, job = job // (cuts * pieces * runs), job % (cuts * pieces * runs)
    c, job = job // (pieces * runs), job % (pieces * runs)
    p, x_from = job // runs, (job % runs) * run
    for block in range(g * blocks + c * cut, g * blocks + min(blocks, (c + 1) * cut)):
        o0 = (block - g * blocks) * ROW_BLOCK
        used = min(ROW_BLOCK, out_channels - o0)
        panel = panels[block * size : (block + 1) * size]
        first = firsts[block * ROW_BLOCK : (block + 1) * ROW_BLOCK]
        for r in range(p * rows_per, min(rows, (p + 1) * rows_per)):
            b = r // out_height
            y = r - b * out_height
            base = g * grid[0] + b * grid[1] + y * grid[5]
            at = g * out_strides[0] + b * out_strides[1] + y * out_strides[3]
            at += o0 * out_strides[2]
            for x0 in range(x_from, min(out_width, x_from + run), 2 * n):
                x = min(x0, out_width - 2 * n)  # the last run overlaps the one before
                _row_micro_block_jit(
                    panel, steps, source, base + x, out, at + x, out_strides[2], used, first
                )


_rows_job_jit = njit(inline="always", cache=True)(_rows_job)


def _tensor_conv_rows(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    bias: Storage,
    bias_shape: Shape,
    bias_strides: Strides,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    offset: tuple[int, int],
    flip: bool,
) -> None:
    """:func:`tensor_conv` for outputs in channels-first rows (see :func:`_rows_fit`), vectors along them.

    The input is read where it is when it is stored so and needs no zeros
    nor stride; else it is copied, with its zeros, into its phases
    (:func:`_pack_rows`), so that every tap of a strided convolution reads
    adjacent numbers too. The panels of all blocks of 6 output channels are
    packed first; then each job runs a cut of the blocks over a tile of the
    output (:func:`_row_tiles`, :func:`_rows_job`).
    """
    groups, batch, out_channels, out_height, out_width = out_shape
    channels = weight_shape[2]
    biases = _channel_biases_jit(bias, bias_shape, bias_strides)
    span = _span_jit(out_shape, weight_shape, stride, dilation)
    in_place = _rows_in_place_jit(input_shape, input_strides, stride, span, offset)
    grid = _rows_grid_jit(input_shape, input_strides, stride, span, in_place)
    source = input
    if not in_place:
        source = np.zeros(groups * grid[0], input.dtype)
        for row in prange(groups * batch * channels * span[0]):
            _pack_rows_jit(
                source, row, input, input_shape, input_strides, grid, stride, span, offset
            )
    steps = _row_steps_jit(weight_shape, grid, stride, dilation)
    n = simd.lanes(out)
    blocks = (out_channels + ROW_BLOCK - 1) // ROW_BLOCK
    size = steps.size * ROW_BLOCK
    panels = np.empty(groups * blocks * size, weight.dtype)
    firsts = np.zeros(groups * blocks * ROW_BLOCK, out.dtype)  # each sum starts at its bias
    for block in prange(groups * blocks):
        _pack_row_panel_jit(
            panels[block * size : (block + 1) * size], block, weight, weight_shape, weight_strides,
            flip,
        )  # fmt: skip
        g = block // blocks
        o0 = (block - g * blocks) * ROW_BLOCK
        for i in range(min(ROW_BLOCK, out_channels - o0)):
            firsts[block * ROW_BLOCK + i] = _plus_bias_jit(0.0, biases, g * out_channels + o0 + i)
    tiles = _row_tiles_jit(out_shape, weight_shape, stride, dilation, input.itemsize, n)
    cut, rows_per, run = tiles
    jobs = groups * -(-blocks // cut) * -(-batch * out_height // rows_per) * -(-out_width // run)
    for job in prange(jobs):
        _rows_job_jit(job, tiles, out, out_shape, out_strides, source, grid, steps, panels, firsts)


tensor_conv_rows = njit(parallel=True, cache=True)(_tensor_conv_rows)


def conv(
    out: Tensor,
    input: Tensor,
    weight: Tensor,
    geometry: ConvGeometry,
    bias: Tensor | None = None,
) -> Tensor:
    """Fill ``out`` with the general convolution of ``input`` and ``weight``, plus ``bias``; return ``out``.

    The Python face of :func:`tensor_conv` (the loop is in the module
    docstring). All three are 5-D grouped views whose sizes already agree;
    ``bias``, if given, is ``[groups, out_channels]``.

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
    filter_size = input.shape[2] * weight.shape[3] * weight.shape[4]
    work = out.size * filter_size // 8
    out_args = out.kernel_args()
    pointwise = weight.shape[3] * weight.shape[4] == 1
    fits = _rows_fit(out_args[1], out_args[2], filter_size, pointwise, simd.lanes(out_args[0]))
    none = (np.empty(0, out_args[0].dtype), *_NO_BIAS)
    bias_args = none if bias is None else bias.kernel_args()
    launch(
        tensor_conv_rows if fits else tensor_conv,
        work,
        *out_args,
        *input.kernel_args(),
        *weight.kernel_args(),
        *bias_args,
        *geometry,
    )
    return out


# The shape and strides of "no bias", [1, 0], for the kernels.
_NO_BIAS = (np.array([1, 0], np.int64), np.zeros(2, np.int64))


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
