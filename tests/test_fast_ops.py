"""FastOps against SimpleOps (bit for bit) and NumPy, on strided and broadcast tensors; its disk cache.

FastOps promises the same numbers as SimpleOps, not merely close ones: both
apply the same scalar functions and combine a reduction's or a matmul's terms
in the same order, so every comparison with SimpleOps below is exact (the same
bits, signed zeros included, and NaN where SimpleOps has NaN). Comparisons
with NumPy, which sums in another order, use the float64 tolerance of
``assert_close``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch import SimpleOps, Tensor, TensorBackend, fast_ops, operators
from minitorch.fast_ops import FastOps
from minitorch.tensor_ops import matmul_shape
from strategies import assert_close, shapes, tensors

FAST = TensorBackend(FastOps)
SIMPLE = TensorBackend(SimpleOps)

# SimpleOps divides NumPy scalars, which warn on 0 and give inf or nan; so does FastOps, silently.
pytestmark = pytest.mark.filterwarnings(
    "ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning"
)

# Zero included: 1 / 0 is inf on both backends (NumPy's rule, not Python's error).
finite = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False)
# The per-function tests share every code path but the scalar function, and
# there are 19 of them: fewer examples each keep this file fast.
PER_OP = settings(max_examples=15)


def on(backend: TensorBackend, t: Tensor) -> Tensor:
    """The same view (storage, shape, strides) on another backend."""
    return Tensor(t._tensor, backend=backend)


def assert_same(fast: Tensor, simple: Tensor) -> None:
    """Same shape, NaN in the same places, and every other number the same bit for bit."""
    assert fast.shape == simple.shape
    f, s = fast.to_numpy(), simple.to_numpy()
    assert np.array_equal(np.isnan(f), np.isnan(s))
    numbers = ~np.isnan(f)
    assert np.array_equal(f[numbers].view(np.int64), s[numbers].view(np.int64)), (f, s)


def name_of(fn: Callable[..., float]) -> str:
    return fn.__name__


@pytest.mark.parametrize("fn", list(fast_ops.UNARY_OPS), ids=name_of)
def test_every_map_equals_simple_ops(fn: Callable[[float], float]) -> None:
    @PER_OP
    @given(tensors(values=finite | st.just(0.0)))
    def check(t: Tensor) -> None:
        assert_same(FastOps.map(fn)(on(FAST, t)), SimpleOps.map(fn)(on(SIMPLE, t)))

    check()


@pytest.mark.parametrize("fn", list(fast_ops.BINARY_OPS), ids=name_of)
def test_every_zip_equals_simple_ops_with_broadcasting(
    fn: Callable[[float, float], float],
) -> None:
    values = finite | st.just(0.0)

    @PER_OP
    @given(st.data())
    def check(data: st.DataObject) -> None:
        shape = data.draw(shapes())
        a = data.draw(tensors(shape, values=values))
        # b broadcasts against a: some sizes set to 1, some leading dims dropped.
        b_shape = [1 if data.draw(st.booleans()) else s for s in shape]
        b_shape = b_shape[data.draw(st.integers(0, len(shape) - 1)) :]
        b = data.draw(tensors(tuple(b_shape), values=values))
        if data.draw(st.booleans()):
            a, b = b, a
        fast = FastOps.zip(fn)(on(FAST, a), on(FAST, b))
        assert_same(fast, SimpleOps.zip(fn)(on(SIMPLE, a), on(SIMPLE, b)))

    check()


@pytest.mark.parametrize(
    ("fn", "start"), [(operators.add, 0.0), (operators.mul, 1.0), (operators.max, -np.inf)]
)
def test_every_reduce_equals_simple_ops_along_every_dim(
    fn: Callable[[float, float], float], start: float
) -> None:
    @given(st.data())
    def check(data: st.DataObject) -> None:
        t = data.draw(tensors(data.draw(shapes(max_side=5))))
        dim = data.draw(st.integers(0, t.dims - 1))
        fast = FastOps.reduce(fn, start)(on(FAST, t), dim)
        assert_same(fast, SimpleOps.reduce(fn, start)(on(SIMPLE, t), dim))

    check()


def test_reduce_wider_than_a_tile_matches_numpy_and_simple_ops() -> None:
    # 301 outputs along the kept dim: tiles of 256 and 45 (fours and one left over
    # where a reduced run is contiguous); then the same transposed.
    assert fast_ops.REDUCE_TILE == 256
    x = np.random.default_rng(1).uniform(-1.0, 1.0, size=(3, 301, 7))
    for t in (minitorch.tensor(x), minitorch.tensor(x.transpose(2, 1, 0).copy()).permute(2, 1, 0)):
        for dim in range(3):
            fast = FAST.add_reduce(on(FAST, t), dim)
            assert_same(fast, SIMPLE.add_reduce(on(SIMPLE, t), dim))
            assert_close(fast, x.sum(axis=dim, keepdims=True))
            assert_close(FAST.max_reduce(on(FAST, t), dim), x.max(axis=dim, keepdims=True))


def matmul_pair(data: st.DataObject, max_side: int = 4) -> tuple[Tensor, Tensor]:
    """Two tensors ``[..., n, k]`` and ``[..., k, m]`` with broadcast batch dims, maybe permuted."""
    n, k, m = (data.draw(st.integers(1, max_side)) for _ in range(3))
    batch = data.draw(shapes(min_dims=0, max_dims=2, max_side=3))
    a_batch = tuple(1 if data.draw(st.booleans()) else s for s in batch)
    b_batch = tuple(1 if data.draw(st.booleans()) else s for s in batch)
    b_batch = b_batch[data.draw(st.integers(0, len(b_batch))) :]
    a = data.draw(tensors((*a_batch, n, k)))
    b = data.draw(tensors((*b_batch, k, m)))
    return a, b


@given(st.data())
def test_matmul_equals_simple_ops_and_matches_numpy(data: st.DataObject) -> None:
    a, b = matmul_pair(data)
    fast = FastOps.matrix_multiply(on(FAST, a), on(FAST, b))
    assert_same(fast, SimpleOps.matrix_multiply(on(SIMPLE, a), on(SIMPLE, b)))
    assert_close(fast, a.to_numpy() @ b.to_numpy())


@given(st.data())
def test_matmul_kernel_reads_strided_rows_of_b_itself(data: st.DataObject) -> None:
    # FastOps.matrix_multiply copies a transposed b; the kernel alone must handle it too.
    a, b = matmul_pair(data)
    b = minitorch.tensor(np.swapaxes(b.to_numpy(), -1, -2).copy())
    b = b.permute(*range(b.dims - 2), b.dims - 1, b.dims - 2)
    out = minitorch.zeros(matmul_shape(a.shape, b.shape))
    fast_ops.tensor_matrix_multiply(*out.kernel_args(), *a.kernel_args(), *b.kernel_args())
    assert_close(out, a.to_numpy() @ b.to_numpy())


def test_matmul_of_rows_that_span_blocks_matches_numpy() -> None:
    # 10 rows: blocks of 4, 4 and 2 rows; and a batch of 3 sharing one b.
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3, 10, 7)), rng.normal(size=(7, 9))
    fast = FAST.matrix_multiply(
        minitorch.tensor(a, backend=FAST), minitorch.tensor(b, backend=FAST)
    )
    assert_close(fast, a @ b)
    transposed = minitorch.tensor(b.T.copy(), backend=FAST).permute(1, 0)
    assert_close(FAST.matrix_multiply(minitorch.tensor(a, backend=FAST), transposed), a @ b)


def one_thread(fn: Callable[[], Tensor]) -> Tensor:
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return fn()
    finally:
        numba.set_num_threads(threads)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_work_split_across_threads_gives_the_one_thread_result() -> None:
    # Large enough (> PARALLEL_WORK) to run in parallel; the small tensors above run on one thread.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 500))
    a = minitorch.tensor(x, backend=FAST)
    t = minitorch.tensor(x.T.copy(), backend=FAST).permute(1, 0)
    r = minitorch.tensor(x[:1], backend=FAST)
    m = minitorch.tensor(x[:, :200].copy(), backend=FAST).view(3, 100, 200)
    # Rows longer than ROW_SEGMENT, cut into segments: 40000 = 16384 + 16384 + 7232.
    long = rng.normal(size=(40000, 3))
    w = minitorch.tensor(long, backend=FAST).permute(1, 0)
    w_row = minitorch.tensor(long[:, 0].copy(), backend=FAST)
    ops: list[Callable[[], Tensor]] = [
        lambda: FAST.exp_map(a),
        lambda: FAST.neg_map(t),
        lambda: FAST.mul_zip(a, r),
        lambda: FAST.add_zip(t, a),
        lambda: FAST.add_reduce(a, 0),
        lambda: FAST.max_reduce(t, 1),
        lambda: FAST.matrix_multiply(m, m.permute(0, 2, 1)),
        lambda: FAST.mul_zip(w, w_row),
        lambda: FAST.sigmoid_map(w),
    ]
    assert a.size >= minitorch.jit.PARALLEL_WORK
    for op in ops:
        assert_same(op(), one_thread(op))
    assert fast_ops.ROW_SEGMENT == 16384
    assert_close(ops[4](), x.sum(axis=0, keepdims=True))
    assert_close(ops[7](), long.T * long[:, 0])
    assert_close(
        ops[6](),
        x[:, :200].reshape(3, 100, 200) @ x[:, :200].reshape(3, 100, 200).transpose(0, 2, 1),
    )


def test_map_broadcasts_into_a_given_output() -> None:
    # The backward of sum: a (2, 1) gradient spread over a (2, 3) output.
    grad = minitorch.tensor([[1.0], [2.0]], backend=FAST)
    out = FAST.id_map(grad, minitorch.zeros((2, 3), backend=FAST))
    assert out.to_numpy().tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    into_permuted = minitorch.zeros((3, 2), backend=FAST).permute(1, 0)
    out = FAST.neg_map(grad, into_permuted)
    assert out.to_numpy().tolist() == [[-1.0, -1.0, -1.0], [-2.0, -2.0, -2.0]]


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "permute"),
    [
        ((3, 4, 2, 5), (4, 1, 1), None),  # a bias: one row of 2 * 5 per channel
        ((3, 4, 2, 5), (4, 2, 1), None),  # broadcast along the last dim only: no merge
        ((3, 4, 2, 5), (1, 2, 5), None),  # the same map for every channel: rows of 2 * 5 * ...
        ((3, 4, 2, 5), (3, 4, 2, 5), (0, 2, 1, 3)),  # a permuted input stops the merge
        ((2, 1, 3, 4), (2, 1, 1, 4), None),  # a size-1 dimension inside the row
        # More rows than threads' pieces (64): each piece walks from row to row,
        # its index wrapping over dimensions where a broadcast input steps 0.
        ((6, 50, 2, 5), (50, 1, 1), None),
        ((7, 9, 11, 3), (7, 1, 11, 1), None),
        ((4, 30, 20), (4, 30, 20), (2, 1, 0)),
        # The output's last dimension is short: rows run along a longer one.
        ((2, 40, 30), (2, 40, 30), (1, 2, 0)),
        ((3, 50, 2), (3, 50, 1), (1, 0, 2)),
    ],
)
def test_rows_merged_across_dimensions_match_numpy(
    a_shape: tuple[int, ...], b_shape: tuple[int, ...], permute: tuple[int, ...] | None
) -> None:
    rng = np.random.default_rng(1)
    a_np, b_np = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    a, b = minitorch.tensor(a_np, backend=FAST), minitorch.tensor(b_np, backend=FAST)
    if permute is not None:
        a, a_np = a.permute(*permute), a_np.transpose(permute)
        b, b_np = b.permute(*permute), b_np.transpose(permute)
    assert np.array_equal((a + b).to_numpy(), a_np + b_np)
    assert np.array_equal((a * b).to_numpy(), a_np * b_np)
    assert np.array_equal((-a).to_numpy(), -a_np)
    assert np.array_equal(
        FAST.neg_map(b, minitorch.zeros(a.shape, backend=FAST)).to_numpy(),
        np.broadcast_to(-b_np, a.shape),
    )


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 3), (3, 0)])
def test_size_zero_tensors(shape: tuple[int, ...]) -> None:
    t = minitorch.zeros(shape, backend=FAST)
    assert FAST.exp_map(t).shape == shape
    assert FAST.add_zip(t, t).shape == shape
    assert (
        FAST.mul_zip(t.permute(*reversed(range(t.dims))), t.permute(*reversed(range(t.dims)))).size
        == 0
    )
    for dim in range(len(shape)):
        fast = FAST.add_reduce(t, dim)
        assert_same(fast, SIMPLE.add_reduce(on(SIMPLE, t), dim))


def test_division_by_zero_gives_inf_as_on_simple_ops() -> None:
    x = minitorch.tensor([0.0, -0.0, 2.0, 0.0] * 40000)  # long enough for two threads
    d = minitorch.tensor([1.0, 1.0, 1.0, 0.0] * 40000)
    assert_same(FAST.inv_map(on(FAST, x)), SIMPLE.inv_map(on(SIMPLE, x)))
    for zip_ in ("inv_back_zip", "log_back_zip"):
        fast = getattr(FAST, zip_)(on(FAST, x), on(FAST, d))
        assert_same(fast, getattr(SIMPLE, zip_)(on(SIMPLE, x), on(SIMPLE, d)))
    assert FAST.inv_map(on(FAST, x)).to_numpy()[:3].tolist() == [np.inf, -np.inf, 0.5]


def test_matmul_with_size_zero_dims() -> None:
    zeros = minitorch.zeros
    # inner size 0: a sum of no terms is 0.
    assert (
        FAST.matrix_multiply(zeros((2, 0)), zeros((0, 3))).to_numpy().tolist() == [[0.0] * 3] * 2
    )
    assert FAST.matrix_multiply(zeros((0, 2)), zeros((2, 3))).shape == (0, 3)
    assert FAST.matrix_multiply(zeros((4, 0, 2, 5)), zeros((4, 0, 5, 3))).shape == (4, 0, 2, 3)


def test_a_function_outside_the_tables_takes_an_uncached_kernel() -> None:
    # One compiled here (compiling takes seconds); zip and reduce run as Python in the probe below.
    x = minitorch.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], backend=FAST)
    op, kernel = fast_ops.map_kernel(lambda v: v * v)
    assert kernel is not fast_ops.tensor_map
    out = minitorch.zeros((3, 2), backend=FAST)
    kernel(op, *out.kernel_args(), *x.permute(1, 0).kernel_args())
    assert out.to_numpy().tolist() == [[1.0, 16.0], [4.0, 25.0], [9.0, 36.0]]


# The plain-Python kernels, run as Python: FastOps's results without compiling.
PLAIN_PROBE = textwrap.dedent(
    """
    import numpy as np
    import minitorch
    from minitorch import fast_ops
    fast = minitorch.TensorBackend(fast_ops.FastOps)
    simple = minitorch.SimpleBackend
    assert fast_ops.tensor_map is fast_ops._tensor_map
    data = np.random.default_rng(3).normal(size=(2, 3, 4))
    def both(backend):
        a = minitorch.tensor(data, backend=backend).permute(2, 0, 1)
        b = minitorch.tensor(data[0, :2, :1], backend=backend)
        c = minitorch.tensor(data[0, :, :2], backend=backend)
        return [
            backend.sigmoid_map(a), backend.mul_zip(a, b), backend.add_zip(a, a),
            backend.max_reduce(a, 1), backend.add_reduce(a, 2), backend.matrix_multiply(a, c),
            backend.matrix_multiply(a, c.permute(1, 0).contiguous().permute(1, 0)),
        ]
    for f, s in zip(both(fast), both(simple), strict=True):
        assert np.array_equal(f.to_numpy(), s.to_numpy()), (f, s)
    # Functions outside the tables: the same kernel code around the function's own loop.
    x = minitorch.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], backend=fast)
    y = minitorch.tensor([10.0, 20.0, 30.0], backend=fast)
    assert fast_ops.FastOps.zip(lambda u, v: u - v)(x, y).to_numpy().tolist() == [
        [-9.0, -22.0, -27.0], [-6.0, -15.0, -36.0]]
    # lt as a fold: the reduce kernel is compiled for add, mul and max only.
    assert fast_ops.FastOps.reduce(minitorch.operators.lt, 0.0)(x, 1).to_numpy().tolist() == [
        [1.0], [0.0]]
    print("same")
    """
)


def test_plain_python_kernels_equal_simple_ops_with_jit_disabled() -> None:
    assert run_python(PLAIN_PROBE, NUMBA_DISABLE_JIT="1").strip() == "same"


# One of each kernel, in a fresh process; prints each kernel's cache hits and misses.
CACHE_PROBE = textwrap.dedent(
    """
    import minitorch
    from minitorch import fast_ops
    from minitorch.jit import serial_twin
    b = minitorch.TensorBackend(fast_ops.FastOps)
    # Small work runs each kernel's one-thread twin, large work the parallel kernel.
    for x in (minitorch.rand((2, 2), backend=b), minitorch.rand((400, 400), backend=b)):
        b.exp_map(x), b.add_zip(x, x), b.add_reduce(x, 0), b.matrix_multiply(x, x)
    for kernel in ("tensor_map", "tensor_zip", "tensor_reduce", "tensor_matrix_multiply"):
        for compiled in (getattr(fast_ops, kernel), serial_twin(getattr(fast_ops, kernel))):
            stats = compiled.stats
            name = compiled.py_func.__name__
            print(name, sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
    """
)


def run_python(code: str, **env: str) -> str:
    environment = {**os.environ, "NUMBA_NUM_THREADS": "2", "NUMBA_DISABLE_JIT": "0", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_a_second_process_loads_every_kernel_from_the_cache() -> None:
    run_python(CACHE_PROBE)  # compiles and saves, unless an earlier process did
    for line in run_python(CACHE_PROBE).splitlines():
        kernel, hits, misses = line.split()
        assert (int(hits), int(misses)) == (1, 0), f"{kernel} was compiled again"


def test_a_read_only_install_caches_in_the_user_cache_directory(tmp_path: Path) -> None:
    # The package copied where Numba cannot write __pycache__ beside it: a file
    # takes its name, so this holds for root too (root ignores permission bits).
    package = tmp_path / "site" / "minitorch"
    shutil.copytree(
        Path(fast_ops.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    (package / "__pycache__").write_text("not a directory")
    package.chmod(0o555)
    user_cache = tmp_path / "user-cache"
    try:
        out = run_python(
            "import minitorch.fast_ops as f; print(f.__file__); print(f.tensor_map.stats.cache_path)",
            PYTHONPATH=str(package.parent),
            XDG_CACHE_HOME=str(user_cache),
            NUMBA_CACHE_DIR="",
        )
    finally:
        package.chmod(0o755)
    module_file, cache_path = out.splitlines()
    assert Path(module_file).parent == package
    assert Path(cache_path).is_relative_to(user_cache / "numba")
    assert Path(cache_path).is_dir()


def test_each_row_loop_has_its_own_compiled_name() -> None:
    # A kernel loaded from the disk cache links the row loops it calls by name. When
    # every loop of a factory had one name, a process that had compiled the loops in
    # another order linked a cached kernel to the wrong one: a + b ran inv_back.
    from minitorch import fast_ops

    loops = [
        value
        for name, value in vars(fast_ops).items()
        if name.startswith("_") and name.endswith(("_loop", "_fold")) and hasattr(value, "py_func")
    ]
    names = [loop.py_func.__qualname__ for loop in loops]
    assert len(loops) == 19
    assert len(set(names)) == len(names), names
