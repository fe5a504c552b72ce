"""Benchmark of the tensor kernels: FastOps (Numba) against NumPy and SimpleOps (plain Python).

Each row times one operation at full size with FastOps and NumPy, and at a
smaller size with SimpleOps (whose Python loops would take minutes at full
size); SimpleOps's time is scaled up by the ratio of the work, which is fair
because its cost per element (per multiply-add in a matmul) does not depend on
the size. All three are measured in the same rounds, interleaved (see
:mod:`common`). FastOps is called through ``TensorBackend(FastOps)``, so its
time includes allocating the output tensor, as NumPy's does.

Targets (from the project's issue): map, zip and reduce within 2x of NumPy,
matmul within 4x, FastOps at least 100x faster than SimpleOps.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numba
import numpy as np
from common import format_table, machine_summary, median_times, ms, ratio

import minitorch
from minitorch import SimpleOps, Tensor, TensorBackend

FAST = TensorBackend(minitorch.FastOps)
SIMPLE = TensorBackend(SimpleOps)


@dataclass
class Case:
    """One row: an operation at full size on FastOps and NumPy, at a smaller size on SimpleOps."""

    name: str
    shape: str
    fast: Callable[[], object]
    numpy: Callable[[], object]
    simple: Callable[[], object]
    simple_shape: str
    # Work at full size over work at SimpleOps's size.
    simple_scale: float
    # The largest FastOps / NumPy ratio the issue accepts.
    target: float


def _pair(shape: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, Tensor, Tensor]:
    data = rng.uniform(-1.0, 1.0, size=shape)
    return data, minitorch.tensor(data, backend=FAST), minitorch.tensor(data, backend=SIMPLE)


def cases(seed: int = 0) -> list[Case]:
    """The benchmarked operations: 1,000,000-element maps, zips and reductions, and matmuls."""
    rng = np.random.default_rng(seed)
    x, fx, _ = _pair((1000, 1000), rng)
    y, fy, _ = _pair((1000, 1000), rng)
    r, fr, _ = _pair((1000,), rng)
    c, fc, _ = _pair((1000, 1), rng)
    sx, _, s_x = _pair((200, 200), rng)
    _, _, s_y = _pair((200, 200), rng)
    _, _, s_r = _pair((200,), rng)
    _, _, s_c = _pair((200, 1), rng)
    small = "200x200"
    scale = x.size / sx.size
    fxt = fx.permute(1, 0)
    s_xt = s_x.permute(1, 0)
    xt = x.T

    a, fa, _ = _pair((512, 512), rng)
    b, fb, _ = _pair((512, 512), rng)
    _, _, s_a = _pair((64, 64), rng)
    _, _, s_b = _pair((64, 64), rng)
    ba, fba, _ = _pair((64, 128, 128), rng)
    bb, fbb, _ = _pair((64, 128, 128), rng)
    _, _, s_ba = _pair((4, 32, 32), rng)
    _, _, s_bb = _pair((4, 32, 32), rng)

    return [
        Case("map exp", "1000x1000", lambda: FAST.exp_map(fx), lambda: np.exp(x),
             lambda: SIMPLE.exp_map(s_x), small, scale, 2.0),
        Case("map neg", "1000x1000", lambda: FAST.neg_map(fx), lambda: np.negative(x),
             lambda: SIMPLE.neg_map(s_x), small, scale, 2.0),
        # NumPy would keep the input's column-major order; both write a row-major result.
        Case("map neg, transposed input", "1000x1000", lambda: FAST.neg_map(fxt),
             lambda: np.negative(xt, out=np.empty_like(x)), lambda: SIMPLE.neg_map(s_xt),
             small, scale, 2.0),
        Case("zip add", "1000x1000 + 1000x1000", lambda: FAST.add_zip(fx, fy),
             lambda: np.add(x, y), lambda: SIMPLE.add_zip(s_x, s_y), small, scale, 2.0),
        Case("zip mul, broadcast row", "1000x1000 * 1000", lambda: FAST.mul_zip(fx, fr),
             lambda: np.multiply(x, r), lambda: SIMPLE.mul_zip(s_x, s_r), small, scale, 2.0),
        Case("zip mul, broadcast column", "1000x1000 * 1000x1", lambda: FAST.mul_zip(fx, fc),
             lambda: np.multiply(x, c), lambda: SIMPLE.mul_zip(s_x, s_c), small, scale, 2.0),
        Case("reduce sum, dim 0", "1000x1000 -> 1x1000", lambda: FAST.add_reduce(fx, 0),
             lambda: np.sum(x, axis=0, keepdims=True), lambda: SIMPLE.add_reduce(s_x, 0),
             small, scale, 2.0),
        Case("reduce sum, dim 1", "1000x1000 -> 1000x1", lambda: FAST.add_reduce(fx, 1),
             lambda: np.sum(x, axis=1, keepdims=True), lambda: SIMPLE.add_reduce(s_x, 1),
             small, scale, 2.0),
        Case("matmul", "512x512 @ 512x512", lambda: FAST.matrix_multiply(fa, fb),
             lambda: np.matmul(a, b), lambda: SIMPLE.matrix_multiply(s_a, s_b), "64x64 @ 64x64",
             (512 / 64) ** 3, 4.0),
        Case("batched matmul", "64 x (128x128 @ 128x128)", lambda: FAST.matrix_multiply(fba, fbb),
             lambda: np.matmul(ba, bb), lambda: SIMPLE.matrix_multiply(s_ba, s_bb),
             "4 x (32x32 @ 32x32)", (64 * 128**3) / (4 * 32**3), 4.0),
    ]  # fmt: skip


def one_thread(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` run with Numba limited to one thread (the thread count is restored after)."""

    def run() -> object:
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return fn()
        finally:
            numba.set_num_threads(threads)

    return run


def blas_threads(threads: int) -> AbstractContextManager[object]:
    """Give NumPy's BLAS the same number of threads as Numba (nox sets OMP_NUM_THREADS=1)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(threads, user_api="blas")


def time_case(case: Case, repeats: int) -> dict[str, float]:
    """Median seconds of FastOps (on all threads and on one), NumPy and SimpleOps, interleaved."""
    return median_times(
        {
            "fast": case.fast,
            "fast_1": one_thread(case.fast),
            "numpy": case.numpy,
            "simple": case.simple,
        },
        repeats=repeats,
    )


def main(repeats: int = 7) -> list[dict[str, float | str]]:
    """Time every case, print the table, and return its rows.

    Args:
        repeats: interleaved rounds per case; each time is the median over them.
    """
    threads = numba.get_num_threads()
    print(f"Machine: {machine_summary()}")
    print(
        f"FastOps on {threads} threads and on 1, and NumPy (BLAS on {threads} threads), at full "
        "size; SimpleOps at the size "
        "in brackets, its time scaled up by the ratio of the work (marked ~). "
        f"Medians of {repeats} interleaved rounds, in ms. The ratios take FastOps's better "
        "time: on a machine whose cores are busy with other work, waiting for a second "
        "core can cost more than it saves."
    )
    results: list[dict[str, float | str]] = []
    table = []
    with blas_threads(threads):
        rows = [(case, time_case(case, repeats)) for case in cases()]
    for case, times in rows:
        fast = min(times["fast"], times["fast_1"])
        simple = times["simple"] * case.simple_scale
        vs_numpy = fast / times["numpy"]
        vs_simple = simple / fast
        met = vs_numpy <= case.target and vs_simple >= 100
        results.append(
            {
                "name": case.name,
                "fast_s": times["fast"],
                "fast_1_thread_s": times["fast_1"],
                "numpy_s": times["numpy"],
                "simple_s": simple,
                "fast_over_numpy": vs_numpy,
                "simple_over_fast": vs_simple,
            }
        )
        table.append(
            [
                case.name,
                case.shape,
                ms(times["fast"]),
                ms(times["fast_1"]),
                ms(times["numpy"]),
                ratio(fast, times["numpy"]),
                f"~{ms(simple)} ({case.simple_shape})",
                ratio(simple, fast),
                f"<= {case.target:g}x, >= 100x",
                "yes" if met else "NO",
            ]
        )
    headers = [
        "operation",
        "shape",
        f"Fast {threads}thr",
        "Fast 1thr",
        "NumPy",
        "Fast/NumPy",
        "SimpleOps",
        "Simple/Fast",
        "target",
        "met",
    ]
    print(format_table(headers, table))
    return results


if __name__ == "__main__":
    main()
