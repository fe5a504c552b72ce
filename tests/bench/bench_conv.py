"""Benchmark of convolution: minitorch's fused Numba kernels against NumPy im2col and PyTorch.

Everything is float64 on 2 threads. For each shape the same run times, in
interleaved rounds (see :mod:`common`):

- minitorch: ``minitorch.conv1d`` / ``conv2d``, forward alone (under ``no_grad``)
  and forward + backward (both gradients, through the autodiff machinery);
- NumPy im2col: the unrolled matrix built with ``sliding_window_view`` and one
  BLAS matrix product; its backward is two more products and a col2im sum;
- PyTorch (where ``import torch`` works): ``torch.nn.functional.conv1d`` /
  ``conv2d`` on the input padded once beforehand on the right (bottom and
  right in 2D), which is the same convolution.

A ratio is minitorch's time over the peer's: below 1 minitorch is faster.
The project's target: forward + backward no slower than PyTorch on the four
larger shapes and within 1.5x on the two smallest. The run also measures the
machine's float64 ceiling (a NumPy 4096 x 4096 matrix product) and the time a
fresh Python process needs to get its first conv2d result once Numba's disk
cache is warm.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from common import format_table, machine_summary, median_times, ms, ratio

import minitorch

THREADS = 2


@dataclass(frozen=True)
class Shape:
    """One benchmarked convolution: input and weight shapes, and the target ratio to PyTorch."""

    input: tuple[int, ...]
    weight: tuple[int, ...]
    target: float

    @property
    def dims(self) -> int:
        return len(self.input) - 2

    @property
    def flops(self) -> int:
        """Forward floating-point operations: 2 per multiply-add."""
        batch, in_channels, *sizes = self.input
        out_channels, _, *kernel = self.weight
        return 2 * batch * out_channels * in_channels * int(np.prod(sizes)) * int(np.prod(kernel))

    def label(self) -> str:
        return f"{self.dims}D {'x'.join(map(str, self.input))} ({'x'.join(map(str, self.weight))})"


SHAPES = [
    Shape((16, 1, 28, 28), (8, 1, 3, 3), target=1.5),
    Shape((16, 8, 28, 28), (16, 8, 3, 3), target=1.5),
    Shape((32, 16, 32, 32), (32, 16, 5, 5), target=1.0),
    Shape((8, 64, 56, 56), (64, 64, 3, 3), target=1.0),
    Shape((32, 64, 200), (128, 64, 5), target=1.0),
    Shape((16, 256, 512), (256, 256, 3), target=1.0),
]


# ------------------------------------------------------------------ NumPy im2col
def _im2col(x: np.ndarray, kernel: tuple[int, ...]) -> np.ndarray:
    """[B, I, *S] -> [B * prod(S), I * prod(kernel)]: every window, zeros past the far edges."""
    sizes = x.shape[2:]
    pad = [(0, 0), (0, 0), *[(0, k - 1) for k in kernel]]
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(x, pad), kernel, axis=tuple(range(2, x.ndim))
    )
    # [B, I, *S, *K] -> [B, *S, I, *K]
    order = (0, *range(2, 2 + len(sizes)), 1, *range(2 + len(sizes), windows.ndim))
    return windows.transpose(order).reshape(x.shape[0] * int(np.prod(sizes)), -1)


def _col2im(cols: np.ndarray, x_shape: tuple[int, ...], kernel: tuple[int, ...]) -> np.ndarray:
    """The adjoint of :func:`_im2col`: add each window's gradient back onto the input."""
    batch, in_channels, *sizes = x_shape
    grads = cols.reshape(batch, *sizes, in_channels, *kernel)
    padded = np.zeros(
        (batch, in_channels, *[s + k - 1 for s, k in zip(sizes, kernel, strict=True)])
    )
    d = len(sizes)
    # [B, *S, I, *K] -> [B, I, *S, *K]
    grads = grads.transpose(0, d + 1, *range(1, d + 1), *range(d + 2, 2 * d + 2))
    for offset in np.ndindex(*kernel):
        region = tuple(slice(o, o + s) for o, s in zip(offset, sizes, strict=True))
        padded[(slice(None), slice(None), *region)] += grads[(..., *offset)]
    return padded[(slice(None), slice(None), *[slice(0, s) for s in sizes])]


def _numpy_forward(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cols = _im2col(x, w.shape[2:])
    out = cols @ w.reshape(w.shape[0], -1).T
    # [B * S, O] -> [B, O, *S]
    out = out.reshape(x.shape[0], *x.shape[2:], w.shape[0])
    return np.moveaxis(out, -1, 1), cols


def _numpy_forward_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[Any, ...]:
    out, cols = _numpy_forward(x, w)
    g_rows = np.moveaxis(g, 1, -1).reshape(cols.shape[0], w.shape[0])
    grad_weight = (g_rows.T @ cols).reshape(w.shape)
    grad_input = _col2im(g_rows @ w.reshape(w.shape[0], -1), x.shape, w.shape[2:])
    return out, grad_input, grad_weight


# ----------------------------------------------------------------------- PyTorch
def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    return torch


def _torch_candidates(torch: Any, shape: Shape, x: np.ndarray, w: np.ndarray, g: np.ndarray):  # noqa: ANN202
    functional = torch.nn.functional
    conv = functional.conv1d if shape.dims == 1 else functional.conv2d
    pad: list[int] = []
    for k in reversed(w.shape[2:]):
        pad += [0, k - 1]
    xt = functional.pad(torch.tensor(x), pad).requires_grad_()
    wt = torch.tensor(w, requires_grad=True)
    gt = torch.tensor(g)

    def forward() -> None:
        with torch.no_grad():
            conv(xt, wt)

    def forward_backward() -> None:
        xt.grad = None
        wt.grad = None
        conv(xt, wt).backward(gt)

    return forward, forward_backward


# --------------------------------------------------------------------- minitorch
def _minitorch_candidates(shape: Shape, x: np.ndarray, w: np.ndarray, g: np.ndarray):  # noqa: ANN202
    conv = minitorch.conv1d if shape.dims == 1 else minitorch.conv2d
    xm = minitorch.tensor(x, requires_grad=True)
    wm = minitorch.tensor(w, requires_grad=True)
    gm = minitorch.tensor(g)

    def forward() -> None:
        with minitorch.no_grad():
            conv(xm, wm)

    def forward_backward() -> None:
        xm.grad = None
        wm.grad = None
        conv(xm, wm).backward(gm)

    return forward, forward_backward


def _check_agreement(shape: Shape, x: np.ndarray, w: np.ndarray, g: np.ndarray) -> None:
    """Refuse to time implementations that disagree."""
    conv = minitorch.conv1d if shape.dims == 1 else minitorch.conv2d
    xm = minitorch.tensor(x, requires_grad=True)
    wm = minitorch.tensor(w, requires_grad=True)
    out = conv(xm, wm)
    out.backward(minitorch.tensor(g))
    expected = _numpy_forward_backward(x, w, g)
    assert xm.grad is not None and wm.grad is not None
    for got, want in zip((out, xm.grad, wm.grad), expected, strict=True):
        np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------ tables
def float64_ceiling(size: int = 4096, repeats: int = 3) -> float:
    """GFLOP/s of a NumPy (BLAS) float64 matrix product, the machine's practical ceiling."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(size, size))
    b = rng.normal(size=(size, size))
    seconds = median_times({"matmul": lambda: a @ b}, repeats=repeats)["matmul"]
    return 2 * size**3 / seconds / 1e9


def time_to_first_conv2d(runs: int = 3) -> tuple[float, float]:
    """Seconds from a fresh interpreter to its first conv2d result, with Numba's cache warm.

    Returns:
        (inside: from ``import minitorch`` to the result, whole: the whole process),
        each the median of ``runs`` processes, after one discarded run that warms the cache.
    """
    code = (
        "import time; start = time.perf_counter()\n"
        "import minitorch\n"
        "x = minitorch.rand((2, 3, 8, 8), seed=0)\n"
        "w = minitorch.rand((4, 3, 3, 3), seed=1)\n"
        "minitorch.conv2d(x, w).to_numpy()\n"
        "print(time.perf_counter() - start)\n"
    )
    inside, whole = [], []
    for run in range(runs + 1):
        begin = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        if run > 0:
            whole.append(time.perf_counter() - begin)
            inside.append(float(result.stdout.strip().splitlines()[-1]))
    return float(np.median(inside)), float(np.median(whole))


def _gflops(flops: float, seconds: float) -> str:
    return f"{flops / seconds / 1e9:.1f}"


def main(repeats: int = 7) -> None:
    """Print the machine, the float64 ceiling, forward and forward + backward tables, start-up."""
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    try:
        from threadpoolctl import threadpool_limits

        blas_limit: Any = threadpool_limits(THREADS, user_api="blas")
    except ImportError:
        blas_limit = None
    torch = _torch()
    print("Convolution benchmark (float64, 2 threads; times are medians of interleaved rounds)")
    print(machine_summary())
    peers = "NumPy im2col" + (f", PyTorch {torch.__version__}" if torch else " (no PyTorch here)")
    print(f"Peers: {peers}")
    print(f"float64 ceiling (NumPy 4096 x 4096 matmul): {float64_ceiling():.1f} GFLOP/s")

    rng = np.random.default_rng(0)
    rows: dict[str, list[list[str]]] = {"forward": [], "forward + backward": []}
    for shape in SHAPES:
        x = rng.normal(size=shape.input)
        w = rng.normal(size=shape.weight)
        g = rng.normal(size=(shape.input[0], shape.weight[0], *shape.input[2:]))
        _check_agreement(shape, x, w, g)
        candidates: dict[str, Callable[[], object]] = {}
        candidates["mt fwd"], candidates["mt f+b"] = _minitorch_candidates(shape, x, w, g)
        candidates["np fwd"] = lambda x=x, w=w: _numpy_forward(x, w)
        candidates["np f+b"] = lambda x=x, w=w, g=g: _numpy_forward_backward(x, w, g)
        if torch is not None:
            candidates["pt fwd"], candidates["pt f+b"] = _torch_candidates(torch, shape, x, w, g)
        times = median_times(candidates, repeats=repeats)
        for table, key, flops in (
            ("forward", "fwd", shape.flops),
            ("forward + backward", "f+b", 3 * shape.flops),
        ):
            mine = times[f"mt {key}"]
            row = [
                shape.label(),
                f"{flops / 1e6:.0f}",
                ms(mine),
                _gflops(flops, mine),
                ms(times[f"np {key}"]),
                _gflops(flops, times[f"np {key}"]),
                ratio(mine, times[f"np {key}"]),
            ]
            if torch is not None:
                theirs = times[f"pt {key}"]
                row += [ms(theirs), _gflops(flops, theirs), ratio(mine, theirs)]
                if key == "f+b":
                    verdict = "met" if mine <= shape.target * theirs else "MISSED"
                    row += [f"<= {shape.target:g}x: {verdict}"]
            rows[table].append(row)
        print(f"  measured {shape.label()}", flush=True)

    headers = ["shape", "MFLOP", "minitorch ms", "GFLOP/s", "im2col ms", "GFLOP/s", "vs im2col"]
    if torch is not None:
        headers += ["torch ms", "GFLOP/s", "vs torch"]
    for table, table_rows in rows.items():
        print(f"\n{table}")
        extra = ["target"] if torch is not None and table != "forward" else []
        print(format_table(headers + extra, table_rows))

    inside, whole = time_to_first_conv2d()
    print(
        f"\nfirst conv2d result in a fresh process (warm Numba cache): {inside:.2f} s after "
        f"'import minitorch' starts, {whole:.2f} s for the whole process"
    )
    # On a machine shared with other busy processes, OpenMP threads that spin while
    # waiting (the default) can cost milliseconds per parallel region, for Numba's
    # "omp" layer and for PyTorch alike; OMP_WAIT_POLICY=PASSIVE avoids that.
    print(
        f"Numba threading layer: {numba.threading_layer()}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
    )
    if blas_limit is not None:
        blas_limit.restore_original_limits()


if __name__ == "__main__":
    main()
