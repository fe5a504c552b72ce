"""The fused convolution kernel on every geometry: against the definition, the plain loop, itself in Python."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch.fast_conv import (
    ROW_BLOCK,
    _row_tiles,
    _rows_fit,
    _tensor_conv,
    _tensor_conv_rows,
    tensor_conv,
    tensor_conv_rows,
)
from minitorch.tensor_ops import ConvGeometry
from minitorch.tensor_ops import tensor_conv as plain_conv


def direct(
    x: np.ndarray, w: np.ndarray, out_shape, geometry: ConvGeometry, bias=None
) -> np.ndarray:
    """ConvGeometry's definition, one product at a time, plus ``bias[g, o]`` if given."""
    (sh, sw), (dh, dw), (ph, pw), flip = geometry
    height, width = x.shape[3:]
    if flip:
        w = w[:, :, :, ::-1, ::-1]
    out = np.zeros(out_shape)
    if bias is not None:
        out += bias[:, None, :, None, None]
    for g, b, o, y, xx in np.ndindex(*out_shape):
        for c, kh, kw in np.ndindex(*w.shape[2:]):
            h, v = y * sh + kh * dh - ph, xx * sw + kw * dw - pw
            if 0 <= h < height and 0 <= v < width:
                out[g, b, o, y, xx] += w[g, o, c, kh, kw] * x[g, b, c, h, v]
    return out


def storage_args(array: np.ndarray, order: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """(storage, shape, strides) of ``array`` kept in memory in dimension ``order``."""
    stored = np.array(array.transpose(order), order="C")
    strides_stored = np.array(stored.strides) // stored.itemsize
    strides = np.zeros(array.ndim, dtype=np.int64)
    strides[list(order)] = strides_stored
    return stored.reshape(-1), np.array(array.shape, dtype=np.int64), strides


def bias_args(bias: np.ndarray | None, dtype=np.float64) -> tuple[np.ndarray, ...]:
    """(storage, shape, strides) of a ``[G, O]`` bias, every other number of its storage; none: ``[1, 0]``."""
    if bias is None:
        return np.empty(0, dtype), np.array([1, 0]), np.zeros(2, np.int64)
    spread = np.zeros((*bias.shape, 2), bias.dtype)
    spread[..., 0] = bias
    return spread.reshape(-1), np.array(bias.shape), np.array([2 * bias.shape[1], 2])


def run(kernel, x, w, out_shape, geometry, orders, packed: bool = True, bias=None) -> np.ndarray:
    """Call a kernel on strided storage; return the output as a NumPy array."""
    out_storage, shape, out_strides = storage_args(np.full(out_shape, np.nan), orders[2])
    args = (*storage_args(x, orders[0]), *storage_args(w, orders[1]))
    if packed:
        kernel(out_storage, shape, out_strides, *args, *bias_args(bias), *geometry)
    elif bias is None:
        kernel(out_storage, shape, out_strides, *args, geometry)
    else:
        kernel(out_storage, shape, out_strides, *args, geometry, *bias_args(bias))
    return np.lib.stride_tricks.as_strided(
        out_storage, shape=out_shape, strides=tuple(8 * s for s in out_strides)
    )


@st.composite
def kernel_case(draw: st.DrawFn, max_out: int = 9) -> dict:
    """Any geometry: strides, dilations, offsets (negative too), flip, 1 to 9 channels."""
    pick = lambda lo, hi: (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))  # noqa: E731
    geometry = ConvGeometry(pick(1, 3), pick(1, 3), pick(-2, 4), draw(st.booleans()))
    groups, batch = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    channels, out_channels = draw(st.integers(1, 5)), draw(st.integers(1, 9))
    size, kernel, out_size = pick(1, 5), pick(1, 3), pick(1, max_out)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {
        "geometry": geometry,
        "x": rng.normal(size=(groups, batch, channels, *size)),
        "w": rng.normal(size=(groups, out_channels, channels, *kernel)),
        "out_shape": (groups, batch, out_channels, *out_size),
        "orders": [tuple(draw(st.permutations(range(5)))) for _ in range(3)],
        "bias": rng.normal(size=(groups, out_channels)) if draw(st.booleans()) else None,
    }


@settings(max_examples=60, deadline=None)
@given(kernel_case())
def test_fused_kernel_matches_the_definition(case: dict) -> None:
    args = (case["x"], case["w"], case["out_shape"], case["geometry"])
    expected = direct(*args, case["bias"])
    got = run(tensor_conv, *args, case["orders"], bias=case["bias"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@st.composite
def rows_case(draw: st.DrawFn) -> dict:
    """A geometry of the channels-first kernel: any strides, output rows of 8 or more."""
    pick = lambda lo, hi: (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))  # noqa: E731
    geometry = ConvGeometry(pick(1, 3), pick(1, 3), pick(-2, 4), draw(st.booleans()))
    groups, batch = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    channels, out_channels = draw(st.integers(1, 5)), draw(st.integers(4, 13))
    kernel = pick(1, 3)
    if channels == 1 and kernel == (1, 1):
        kernel = (1, 2)  # a filter of one number is a scaling, not a convolution
    size = (draw(st.integers(1, 5)), draw(st.integers(1, 12)))
    out_size = (draw(st.integers(1, 4)), draw(st.integers(8, 20)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # The output's width is its innermost dimension, as the kernel needs.
    out_order = (*draw(st.permutations(range(4))), 4)
    return {
        "geometry": geometry,
        "x": rng.normal(size=(groups, batch, channels, *size)),
        "w": rng.normal(size=(groups, out_channels, channels, *kernel)),
        "out_shape": (groups, batch, out_channels, *out_size),
        "orders": [tuple(draw(st.permutations(range(5)))) for _ in range(2)] + [out_order],
        "bias": rng.normal(size=(groups, out_channels)) if draw(st.booleans()) else None,
    }


@settings(max_examples=60, deadline=None)
@given(rows_case())
def test_channels_first_rows_kernel_matches_the_definition(case: dict) -> None:
    # Every remainder of 6 output channels and of 8 positions (the last run of a row
    # overlaps the one before), inputs read in place or copied with their zeros into
    # the phases of their strides.
    out_shape, geometry = case["out_shape"], case["geometry"]
    filter_size = np.prod(case["w"].shape[2:])
    assert _rows_fit(np.array(out_shape), np.ones(5, np.int64), filter_size, False, 4)
    args = (case["x"], case["w"], out_shape, geometry)
    expected = direct(*args, case["bias"])
    got = run(tensor_conv_rows, *args, case["orders"], bias=case["bias"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    python = run(_tensor_conv_rows, *args, case["orders"], bias=case["bias"])
    np.testing.assert_allclose(python, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(kernel_case(max_out=4))
def test_plain_loop_matches_the_definition(case: dict) -> None:
    expected = direct(case["x"], case["w"], case["out_shape"], case["geometry"], case["bias"])
    args = (case["x"], case["w"], case["out_shape"], case["geometry"], case["orders"])
    np.testing.assert_allclose(
        run(plain_conv, *args, packed=False, bias=case["bias"]), expected, rtol=1e-12, atol=1e-12
    )


@settings(max_examples=10, deadline=None)
@given(kernel_case(max_out=4))
def test_compiled_kernel_equals_its_python_source(case: dict) -> None:
    # The same code run by the Python interpreter (prange is range there).
    args = (case["x"], case["w"], case["out_shape"], case["geometry"], case["orders"])
    python, compiled = (run(k, *args, bias=case["bias"]) for k in (_tensor_conv, tensor_conv))
    np.testing.assert_allclose(python, compiled, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_panels_of_many_channels_in_both_widths(dtype) -> None:
    # 600 input channels, a long run per tap; 19 output channels: full blocks of 8
    # (float64) or 16 (float32) and a partly empty one; 106 positions: two full runs
    # of 48 and a third one partial, ending in a partial micro-block of 6.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, 600, 1, 108)).astype(dtype)
    w = rng.normal(size=(1, 19, 600, 1, 3)).astype(dtype)
    out_storage, shape, strides = storage_args(
        np.full((1, 1, 19, 1, 106), np.nan, dtype), tuple(range(5))
    )
    geometry = ConvGeometry((1, 1), (1, 1), (0, 0), False)
    tensor_conv(
        out_storage, shape, strides, *storage_args(x, tuple(range(5))), *storage_args(w, tuple(range(5))),
        *bias_args(None, dtype), *geometry,
    )  # fmt: skip
    windows = np.stack([x[0, 0, :, 0, k : k + 106] for k in range(3)], axis=1)  # [c, k, t]
    expected = np.einsum("ock,ckt->ot", w[0, :, :, 0].astype(np.float64), windows)
    assert out_storage.dtype == dtype
    # float32 rounds each of 1800 products and sums: about 1e-5 of the largest output.
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    got = out_storage.reshape(19, 106)
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance * abs(expected).max())


def test_packing_of_wide_channels_first_tensors() -> None:
    # Input and weight stored channels-first (and the weight's channels between its
    # rows): both are packed a column's channels at a time; the flipped weight reads
    # its columns backwards. 7 output channels at 3 x 43 positions: one partial block
    # of 8 channels, two full runs of 48 positions and a partial one.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 3, 3, 1, 80))
    w = rng.normal(size=(1, 7, 3, 1, 41))
    out_shape = (1, 3, 7, 1, 43)
    orders = [(0, 1, 2, 3, 4), (0, 3, 2, 1, 4), (0, 1, 2, 3, 4)]
    for flip in (False, True):
        geometry = ConvGeometry((1, 1), (1, 1), (0, 1), flip)
        expected = direct(x, w, out_shape, geometry)
        got = run(tensor_conv, x, w, out_shape, geometry, orders)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "cuts", "runs", "pieces"),
    [
        # a pointwise layer of 300 channels: filters past ROWS_MAX_FILTER, which the
        # rows kernel takes for a 1 x 1 kernel; 70 channels in 2 cuts of 6 blocks,
        # 103 positions in runs of 48, the last one partial, 2 images in 4 pieces
        ((1, 2, 300, 1, 103), (1, 70, 300, 1, 1), (1, 1), 2, 3, 2),
        # 3 x 3 windows over 8 rows of 2 images, stride 2: the input copied into phases,
        # then 2 x 8 rows of 10 positions cut into pieces for the threads
        ((1, 2, 5, 17, 21), (1, 13, 5, 3, 3), (2, 2), 1, 1, 8),
    ],
)
def test_rows_kernel_tiles_cover_every_output(
    x_shape, w_shape, stride, cuts, runs, pieces
) -> None:
    # Each job of the rows kernel is a cut of the blocks of output channels over some
    # rows, or a run of one row; every output starts as NaN and must be written once.
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    out_shape = (
        1,
        x_shape[1],
        w_shape[1],
        (x_shape[3] - w_shape[3]) // stride[0] + 1,
        (x_shape[4] - w_shape[4]) // stride[1] + 1,
    )
    cut, rows_per, positions = _row_tiles(
        np.array(out_shape), np.array(w_shape), stride, (1, 1), 8, 4
    )
    blocks = -(-w_shape[1] // ROW_BLOCK)
    rows = out_shape[1] * out_shape[3]
    tiles = (-(-blocks // cut), -(-out_shape[4] // positions), -(-rows // rows_per))
    assert tiles[:2] == (cuts, runs) and tiles[2] >= pieces  # more pieces on more threads
    geometry = ConvGeometry(stride, (1, 1), (0, 0), False)
    expected = direct(x, w, out_shape, geometry)
    for kernel in (tensor_conv_rows, _tensor_conv_rows):
        got = run(kernel, x, w, out_shape, geometry, [tuple(range(5))] * 3)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("out_channels", [1, 3, 4, 6, 9, 17])
def test_every_remainder_of_the_register_blocks(out_channels: int) -> None:
    # 1 to 9 positions and 48 to 54: fewer than a run (dot products: one filter with 4
    # windows for 1 channel, else 3 filters with 3 windows, every remainder of 3
    # windows and of 3 channels), then each remainder of a micro-block of 6 windows;
    # 1 to 3 channels take the dot products at every count, 4 to 17 fill blocks of 8
    # partly and wholly.
    rng = np.random.default_rng(out_channels)
    geometry = ConvGeometry((1, 1), (1, 1), (0, 0), False)
    for positions in [*range(1, 10), *range(48, 55)]:
        x = rng.normal(size=(1, 1, 2, 1, positions + 2))
        w = rng.normal(size=(1, out_channels, 2, 1, 3))
        out_shape = (1, 1, out_channels, 1, positions)
        expected = direct(x, w, out_shape, geometry)
        got = run(tensor_conv, x, w, out_shape, geometry, [tuple(range(5))] * 3)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("geometry", "x_shape", "w_shape", "out_shape"),
    [
        # depthwise: 5 groups of one channel, same size; then stride 2 and flipped
        (
            ConvGeometry((1, 1), (1, 1), (1, 1), False),
            (5, 2, 1, 7, 9),
            (5, 1, 1, 3, 3),
            (5, 2, 1, 7, 9),
        ),
        (
            ConvGeometry((2, 2), (1, 1), (1, 1), True),
            (4, 2, 1, 8, 9),
            (4, 1, 1, 3, 3),
            (4, 2, 1, 4, 5),
        ),
        # one input channel into several, dilated, strided along the width only
        (
            ConvGeometry((1, 3), (2, 2), (2, -1), False),
            (2, 3, 1, 7, 20),
            (2, 5, 1, 2, 3),
            (2, 3, 5, 4, 5),
        ),
        # a 1D first layer with a long strided kernel, as wav2vec 2.0's
        (
            ConvGeometry((1, 5), (1, 1), (0, 0), False),
            (1, 2, 1, 1, 60),
            (1, 7, 1, 1, 10),
            (1, 2, 7, 1, 11),
        ),
        # 20 output channels; a kernel wider
        # than the stride, one zero before
        (
            ConvGeometry((1, 2), (1, 1), (0, 1), False),
            (1, 2, 1, 2, 30),
            (1, 20, 1, 1, 4),
            (1, 2, 20, 2, 14),
        ),
    ],
)
def test_one_input_channel_goes_a_plane_at_a_time(geometry, x_shape, w_shape, out_shape) -> None:
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    expected = direct(x, w, out_shape, geometry)
    for orders in ([tuple(range(5))] * 3, [(4, 3, 2, 1, 0), (0, 2, 1, 4, 3), (3, 1, 0, 2, 4)]):
        got = run(tensor_conv, x, w, out_shape, geometry, orders)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("geometry", "x_shape", "w_shape", "out_shape"),
    [
        # a depthwise layer's weight gradient: 3 x 3 outputs of a 9 x 9 filter, 3 images
        (
            ConvGeometry((1, 1), (1, 1), (1, 1), False),
            (4, 1, 3, 9, 9),
            (4, 1, 3, 9, 9),
            (4, 1, 1, 3, 3),
        ),
        # the same with a stride-2 layer's phases as dilation 2, flipped, 2 outputs a group
        (
            ConvGeometry((1, 2), (2, 1), (1, 0), True),
            (2, 2, 3, 11, 12),
            (2, 2, 3, 6, 7),
            (2, 2, 2, 3, 3),
        ),
        # dilated and strided both ways, zeros before and a window that starts inside
        (
            ConvGeometry((2, 1), (3, 2), (-1, 2), False),
            (1, 1, 2, 15, 9),
            (1, 3, 2, 4, 5),
            (1, 1, 3, 2, 2),
        ),
        # 1D: 9 outputs of a 40-tap filter, a step of 8 sums and one more
        (
            ConvGeometry((1, 1), (1, 1), (0, 0), False),
            (1, 1, 1, 1, 48),
            (1, 1, 1, 1, 40),
            (1, 1, 1, 1, 9),
        ),
    ],
)
def test_few_outputs_of_long_filters_are_dot_products(
    geometry, x_shape, w_shape, out_shape
) -> None:
    # Outputs at most a quarter of the filter and fewer than 4 a group: this path.
    assert 4 * np.prod(out_shape[3:]) <= np.prod(w_shape[3:]) and out_shape[2] < 4
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    bias = rng.normal(size=(out_shape[0], out_shape[2]))
    expected = direct(x, w, out_shape, geometry, bias)
    for orders in ([tuple(range(5))] * 3, [(4, 3, 2, 1, 0), (0, 2, 1, 4, 3), (3, 1, 0, 2, 4)]):
        for kernel in (tensor_conv, _tensor_conv):
            got = run(kernel, x, w, out_shape, geometry, orders, bias=bias)
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def inside_channels_last(x: np.ndarray, border: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """(storage, shape, strides) of ``x`` stored channels-last inside a larger zero buffer.

    The buffer has ``border`` extra rows and columns on each side, as a caller that
    lays an input out once for several convolutions makes it; the view starts inside.
    """
    groups, batch, channels, height, width = x.shape
    rows, columns = height + 2 * border[0], width + 2 * border[1]
    buffer = np.zeros((groups, batch, rows, columns, channels))
    buffer[:, :, border[0] : border[0] + height, border[1] : border[1] + width] = x.transpose(
        0, 1, 3, 4, 2
    )
    strides = np.array(buffer.strides) // 8
    start = border[0] * strides[2] + border[1] * strides[3]
    shape = np.array(x.shape, dtype=np.int64)
    return buffer.reshape(-1)[start:], shape, strides[[0, 1, 4, 2, 3]]


@pytest.mark.parametrize(
    ("geometry", "x_shape", "w_shape", "out_shape"),
    [
        # 2D, windows one row apart; 6 output channels: a full block and a clamped one
        (ConvGeometry((1, 1), (1, 1), (0, 0), False), (1, 2, 3, 5, 6), (1, 6, 3, 2, 3), (1, 2, 6, 4, 4)),
        # strided and dilated, 2 groups of 2 channels each (the single-channel dot path)
        (ConvGeometry((2, 1), (1, 2), (0, 0), False), (2, 3, 4, 7, 8), (2, 2, 4, 2, 2), (2, 3, 2, 3, 6)),
        # a kernel as large as the input: all of it one tap in a packed buffer, not here
        (ConvGeometry((1, 1), (1, 1), (0, 0), False), (1, 3, 2, 4, 5), (1, 5, 2, 4, 5), (1, 3, 5, 1, 1)),
        # one input channel: the row path reads the input where it is too
        (ConvGeometry((1, 2), (1, 1), (0, 0), False), (3, 2, 1, 4, 12), (3, 4, 1, 2, 3), (3, 2, 4, 3, 5)),
    ],
)  # fmt: skip
def test_laid_out_input_and_filters_are_read_in_place(
    geometry, x_shape, w_shape, out_shape
) -> None:
    # An input stored channels-last inside a larger buffer (no zeros needed: every
    # window lies inside it), and filters stored in the packed order (kh, kw, c).
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    expected = direct(x, w, out_shape, geometry)
    weight_args = storage_args(w, (0, 1, 3, 4, 2))
    out_storage, shape, out_strides = storage_args(np.full(out_shape, np.nan), tuple(range(5)))
    for border in ((0, 0), (1, 2)):
        input_args = inside_channels_last(x, border)
        tensor_conv(
            out_storage, shape, out_strides, *input_args, *weight_args, *bias_args(None), *geometry
        )
        got = out_storage.reshape(out_shape)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_no_parallel_kernel_builds_two_arrays_from_lists() -> None:
    # Numba's parfor pass inlines each `np.array([...])` of a parallel kernel under
    # one name: with two in one kernel, compiling it could fail ("key already in
    # dictionary: '$np_typ_var.1'"), in some processes only (a Jupyter kernel of the
    # book's build, not the tests). Helpers compiled without `parallel` build them.
    import ast
    from pathlib import Path

    import minitorch

    package = Path(minitorch.__file__).parent
    offenders = []
    for name in ("fast_conv.py", "fast_ops.py", "fast_train.py"):
        tree = ast.parse((package / name).read_text())
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        for node in tree.body:
            call = node.value if isinstance(node, ast.Assign) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Call)):
                continue
            parallel = any(k.arg == "parallel" for k in call.func.keywords)
            source = call.args[0].id if call.args and isinstance(call.args[0], ast.Name) else ""
            if parallel and source in functions:
                literals = [
                    inner.lineno
                    for inner in ast.walk(functions[source])
                    if isinstance(inner, ast.Call)
                    and ast.unparse(inner.func) == "np.array"
                    and inner.args
                    and isinstance(inner.args[0], ast.List)
                ]
                if len(literals) > 1:
                    offenders.append(f"{name}: {source}, lines {literals}")
    assert not offenders, offenders
