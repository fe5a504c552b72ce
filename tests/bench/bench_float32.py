"""Benchmark of float32 against PyTorch float32, and against the library's own float64.

Three tables, each measured in one interleaved run (see :mod:`common`):

- **convolution**: every layer of the convolution sweep (``bench_conv.LAYERS``),
  forward + backward with a bias, minitorch float32 against PyTorch float32
  (target: at most 1.5x on every layer), and against minitorch float64;
- **training step**: one Adam step of ``DigitsCNN`` and LeNet-5 at batch 32 and
  128 in float32 (the networks of ``bench_step``), against PyTorch float32
  (target: at most 1.5x), and against minitorch float64;
- **memory-bound kernels**: an add, a ReLU, a sum and a permuted copy of a
  few million numbers, float32 against float64. Each reads and writes every
  number once, so half the bytes should buy close to 2x; the column says
  what it bought.

Before timing, each float32 result is checked against the float64 one (to
float32's precision). Run it as ``nox -s bench -- float32`` or directly:
``python tests/bench/bench_float32.py --quick --only resnet --parts conv``.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

import bench_conv
import bench_step
import numba
import numpy as np
from common import format_table, machine_summary, median_times, ms, ratio

import minitorch
from minitorch import Adam, float32, float64, nn

THREADS = 2
TARGET = 1.5
PARTS = ("conv", "step", "memory")


def _met(ours: float, peer: float | None) -> str:
    if peer is None:
        return "-"
    return "yes" if ours / peer <= TARGET else "NO"


def _summary(name: str, ratios: list[float]) -> str:
    if not ratios:
        return f"{name}: no PyTorch float32 to compare with"
    geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
    met = sum(r <= TARGET for r in ratios)
    return (
        f"{name}: geometric mean over PyTorch float32 {geomean:.2f}x; "
        f"{met} of {len(ratios)} at <= {TARGET}x"
    )


# ------------------------------------------------------------------ convolution
def _conv_candidate(
    layer: bench_conv.Layer, arrays: Sequence[np.ndarray], dtype: np.dtype
) -> tuple[Callable[[], object], Callable[[], list[np.ndarray]]]:
    """minitorch's forward + backward in ``dtype``, and a function returning its results."""
    conv = bench_conv._minitorch_conv(layer)
    x, w, b = (minitorch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays[:3])
    grad = minitorch.tensor(arrays[3], dtype=dtype)

    def forward_backward() -> None:
        x.grad = w.grad = b.grad = None
        conv(x, w, b).backward(grad)

    def results() -> list[np.ndarray]:
        x.grad = w.grad = b.grad = None
        out = conv(x, w, b)
        out.backward(grad)
        return [out.to_numpy(), *(t.grad.to_numpy() for t in (x, w, b) if t.grad is not None)]

    return forward_backward, results


def _check32(what: str, single: Sequence[np.ndarray], double: Sequence[np.ndarray]) -> None:
    """Refuse to time a float32 result that is not the float64 one to float32's precision."""
    for got, want in zip(single, double, strict=True):
        assert got.dtype == np.float32, f"{what}: float32 input gave {got.dtype}"
        scale = float(np.max(np.abs(want))) or 1.0
        error = float(np.max(np.abs(got - want))) / scale
        assert error < 1e-4, f"{what}: float32 differs from float64 by {error:.1e} of the largest"


def conv_rows(
    only: Sequence[str], repeats: int, torch: Any
) -> tuple[list[list[str]], list[float]]:
    rows, ratios = [], []
    rng = np.random.default_rng(0)
    for layer in bench_conv._select(only):
        arrays = bench_conv._arrays(layer, rng)
        ours32, results32 = _conv_candidate(layer, arrays, float32)
        ours64, results64 = _conv_candidate(layer, arrays, float64)
        _check32(layer.name, results32(), results64())
        candidates: dict[str, Callable[[], object]] = {"mt32": ours32, "mt64": ours64}
        if torch is not None:
            _, candidates["pt32"] = bench_conv._torch_candidates(
                torch, layer, arrays, torch.float32
            )
        times = median_times(candidates, repeats=repeats)
        rows.append(_row(layer.name, layer.geometry(), times))
        if "pt32" in times:
            ratios.append(times["mt32"] / times["pt32"])
        print(f"  {layer.name}: {', '.join(rows[-1][2:])}", flush=True)
    return rows, ratios


HEADERS = ["measured", "shape", "mt f32 ms", "torch f32 ms", "vs torch f32", "met", "f32/f64"]


def _row(name: str, shape: str, times: dict[str, float]) -> list[str]:
    peer = times.get("pt32")
    return [
        name,
        shape,
        ms(times["mt32"]),
        ms(peer) if peer else "-",
        ratio(times["mt32"], peer) if peer else "-",
        _met(times["mt32"], peer),
        ratio(times["mt32"], times["mt64"]),
    ]


# ---------------------------------------------------------------- training step
def _minitorch_step(name: str, images: np.ndarray, labels: np.ndarray, dtype: np.dtype) -> Any:
    model, _ = bench_step._minitorch_model(name)
    model.to(dtype)
    optimizer = Adam(model.parameters(), lr=1e-3)
    x = minitorch.tensor(images, dtype=dtype)

    def step() -> None:
        optimizer.zero_grad()
        loss = nn.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    return step


def step_rows(
    batches: Sequence[int], repeats: int, torch: Any
) -> tuple[list[list[str]], list[float]]:
    rows, ratios = [], []
    rng = np.random.default_rng(0)
    for name in bench_step.NETWORKS:
        for batch in batches:
            _, size = bench_step._minitorch_model(name)
            images = rng.standard_normal((batch, 1, size, size))
            labels = rng.integers(0, 10, size=batch)
            candidates = {
                "mt32": _minitorch_step(name, images, labels, float32),
                "mt64": _minitorch_step(name, images, labels, float64),
            }
            if torch is not None:
                model, _ = bench_step._minitorch_model(name)
                net = bench_step._torch_model(name, model, torch.float32)
                candidates["pt32"] = bench_step._torch_step(net, images, labels, torch.float32)
            times = median_times(candidates, repeats=repeats, warmup=2)
            rows.append(_row(f"step {name}", f"batch {batch}", times))
            if "pt32" in times:
                ratios.append(times["mt32"] / times["pt32"])
    return rows, ratios


# ------------------------------------------------------------ memory-bound kernels
def memory_rows(size: int, repeats: int) -> list[list[str]]:
    """Kernels that read and write each number once: float32 against float64."""
    rows = []
    rng = np.random.default_rng(0)
    data = rng.standard_normal((size // 512, 512))
    for name, op in (
        ("add", lambda t: t + t),
        ("relu", lambda t: t.relu()),
        ("sum", lambda t: t.sum()),
        ("permuted copy", lambda t: t.permute(1, 0).contiguous()),
    ):
        tensors = {dtype: minitorch.tensor(data, dtype=dtype) for dtype in (float32, float64)}
        with minitorch.no_grad():
            _check32(name, [op(tensors[float32]).to_numpy()], [op(tensors[float64]).to_numpy()])
            times = median_times(
                {
                    f"mt{8 * dtype.itemsize}": (lambda t=t, op=op: op(t))
                    for dtype, t in tensors.items()
                },
                repeats=repeats,
            )
        rows.append(
            [
                name,
                f"{data.shape[0]} x {data.shape[1]}",
                ms(times["mt32"]),
                ms(times["mt64"]),
                ratio(times["mt64"], times["mt32"]),
            ]
        )
    return rows


# ------------------------------------------------------------------------- main
def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench_float32", description="Time float32 against PyTorch float32 and float64."
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    parser.add_argument("--repeats", type=int, help="interleaved rounds (default 7)")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="WORD", help="conv layers whose name has a WORD"
    )
    parser.add_argument("--batches", nargs="+", type=int, default=[32, 128])
    parser.add_argument("--size", type=int, default=4 * 2**20, help="numbers per memory row")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] = ()) -> dict[str, list[list[str]]]:
    """Time and print the parts asked for; return part -> table rows."""
    args = _parse(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    torch = bench_conv._torch()  # PyTorch on the same 2 threads, or None
    print(f"float32: {THREADS} threads, medians of {repeats} interleaved rounds")
    print(machine_summary())
    if torch is None:
        print("PyTorch is not installed here: minitorch's own columns only")
    tables: dict[str, list[list[str]]] = {}
    if "conv" in args.parts:
        print("\nConvolution, forward + backward (float32 checked against float64 first):")
        tables["conv"], ratios = conv_rows(args.only, repeats, torch)
        print(format_table(HEADERS, tables["conv"]))
        print(_summary("convolution", ratios))
    if "step" in args.parts:
        tables["step"], ratios = step_rows(args.batches, repeats, torch)
        print("\nA training step (Adam), float32:")
        print(format_table(HEADERS, tables["step"]))
        print(_summary("training step", ratios))
    if "memory" in args.parts:
        tables["memory"] = memory_rows(args.size, repeats)
        print("\nMemory-bound kernels: what half the bytes bought")
        print(format_table(["kernel", "shape", "f32 ms", "f64 ms", "f64 / f32"], tables["memory"]))
    return tables


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
