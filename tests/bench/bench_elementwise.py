"""Benchmark of the element-wise operations a training step makes, per call, against NumPy.

The kernel benchmark (``bench_ops.py``) times million-element tensors. A
training step of the book's networks makes much smaller ones, in layouts of
their own: a bias broadcast over a batch of feature maps, a dropout mask, the
gradient of a ReLU, a permuted view copied to row-major order, the sum that
gives a bias its gradient, and 10 x 10 tensors whose cost is all overhead.
Each row times the public operation as a user calls it (so Python's checks,
the output's allocation and the autodiff bookkeeping count) against the same
computation in NumPy, interleaved (see :mod:`common`).

Run it with ``nox -s bench -- elementwise`` or directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from common import format_table, machine_summary, median_times, ratio

import minitorch
from minitorch import Tensor

Case = tuple[str, str, Callable[[], object], Callable[[], object]]


def _both(shape: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, Tensor]:
    values = rng.standard_normal(shape)
    return values, minitorch.tensor(values)


def cases(seed: int = 0) -> list[Case]:
    """The operations: (name, shapes, minitorch, NumPy)."""
    rng = np.random.default_rng(seed)
    maps, t_maps = _both((32, 12, 8, 8), rng)
    grads, t_grads = _both((32, 12, 8, 8), rng)
    bias, t_bias = _both((12, 1, 1), rng)
    deep, t_deep = _both((128, 48, 4, 4), rng)
    deep_bias, t_deep_bias = _both((48, 1, 1), rng)
    flat, t_flat = _both((32, 192), rng)
    mask = (rng.random((32, 192)) > 0.25) / 0.75
    t_mask = minitorch.tensor(mask)
    small, t_small = _both((10, 10), rng)
    other, t_other = _both((10, 10), rng)
    backend = t_maps.backend
    return [
        ("bias add", "32x12x8x8 + 12x1x1", lambda: t_maps + t_bias, lambda: maps + bias),
        ("bias add", "128x48x4x4 + 48x1x1", lambda: t_deep + t_deep_bias, lambda: deep + deep_bias),
        ("relu", "32x12x8x8", lambda: t_maps.relu(), lambda: np.maximum(maps, 0.0)),
        ("relu backward", "32x12x8x8", lambda: backend.relu_back_zip(t_maps, t_grads),
         lambda: np.where(maps > 0, grads, 0.0)),
        ("dropout mask", "32x192 * 32x192", lambda: t_flat * t_mask, lambda: flat * mask),
        ("permuted copy", "32x12x8x8 -> 32x8x8x12",
         lambda: t_maps.permute(0, 2, 3, 1).contiguous(),
         lambda: np.ascontiguousarray(maps.transpose(0, 2, 3, 1))),
        ("bias gradient", "sum of 32x12x8x8 over 0, 2, 3",
         lambda: t_grads.sum(0).sum(2).sum(3), lambda: grads.sum(axis=(0, 2, 3), keepdims=True)),
        ("small add", "10x10 + 10x10", lambda: t_small + t_other, lambda: small + other),
        ("small sum", "10x10", lambda: t_small.sum(), lambda: small.sum()),
        ("small matmul", "10x10 @ 10x10", lambda: t_small @ t_other, lambda: small @ other),
    ]  # fmt: skip


def main(repeats: int = 201) -> str:
    """Time every case; return the table (median microseconds per call and the ratio to NumPy)."""
    rows = []
    for name, shapes, ours, numpy_version in cases():
        times = median_times({"minitorch": ours, "numpy": numpy_version}, repeats, warmup=5)
        rows.append(
            [
                name,
                shapes,
                f"{times['minitorch'] * 1e6:.1f}",
                f"{times['numpy'] * 1e6:.1f}",
                ratio(times["minitorch"], times["numpy"]),
            ]
        )
    table = format_table(["operation", "shapes", "minitorch us", "NumPy us", "ratio"], rows)
    return f"{machine_summary()}\n{table}"


if __name__ == "__main__":
    print(main())
