"""One training step of the book's networks against PyTorch, and the pieces a step is made of.

Every row is measured in one run with its candidates interleaved (see
:mod:`common`) and prints its ratio next to the issue's target:

- **a training step** (``zero_grad``, forward, cross-entropy, backward, Adam
  step) of :class:`~minitorch.examples.digits.DigitsCNN` and of
  :class:`~minitorch.examples.mnist.LeNet5`, at batch 32 and 128, in minitorch
  (float64) and in the same network in PyTorch, float64 and float32, with the
  same weights (checked: equal outputs in evaluation mode). Target: at most
  1.5x PyTorch float64;
- **small operations** (a 10 x 10 add, its sum, a 10 x 10 matmul), from the
  call to the result. Target: at most 5x;
- **the fused pieces** on the shapes of those networks: max pooling and
  average pooling (forward and backward), log-softmax with cross-entropy
  (forward and backward) and an Adam step over all of a network's
  parameters. Target: at most 1.5x each;
- **start-up**, each in a fresh process after one that warms the caches
  (Numba's kernels, the library's bytecode; see :func:`start_up`):
  ``import minitorch`` (target 0.4 s) and the first ``conv2d`` result (0.6 s),
  timed inside the process from before the import.

PyTorch runs on as many threads as Numba (``nox -s bench`` sets two). Where it
is not installed only minitorch's times are printed. Timings are medians of
interleaved rounds; nothing here asserts a time (the tests only run the table
code on tiny sizes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from common import format_table, machine_summary, median_times, ms, ratio

import minitorch
from minitorch import Adam, Module, nn
from minitorch.examples.digits import DigitsCNN
from minitorch.examples.mnist import LeNet5

try:
    import torch
except ImportError:  # PyTorch is an optional peer
    torch = None

STEP_TARGET = 1.5
SMALL_TARGET = 5.0
PIECE_TARGET = 1.5
IMPORT_TARGET = 0.4
FIRST_CONV_TARGET = 0.6

# The networks of the book's digits page and of its MNIST page.
NETWORKS = ("DigitsCNN", "LeNet-5")


def _minitorch_model(name: str) -> tuple[Module, int]:
    if name == "DigitsCNN":
        return DigitsCNN(seed=0), 8
    return LeNet5(seed=0), 28


def _torch_model(name: str, model: Module, dtype: Any) -> Any:
    """The same network in PyTorch, with ``model``'s weights (linear weights transposed)."""
    tnn = torch.nn
    if name == "DigitsCNN":
        first, second = model.conv1.out_channels, model.conv2.out_channels
        layers = [
            tnn.Conv2d(1, first, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(first, second, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Flatten(), tnn.Dropout(model.dropout),
            tnn.Linear(model.out.in_features, 10),
        ]  # fmt: skip
    else:
        layers = [
            tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
            tnn.Dropout(model.dropout), tnn.Linear(84, 10),
        ]  # fmt: skip
    net = tnn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for theirs, ours in zip(net.parameters(), model.parameters(), strict=True):
            values = ours.value.to_numpy()
            values = values.T if values.ndim == 2 else values
            assert theirs.shape == values.shape, (theirs.shape, values.shape)
            theirs.copy_(torch.from_numpy(np.ascontiguousarray(values)))
    return net


def _same_outputs(model: Module, net: Any, images: np.ndarray) -> float:
    """The largest difference of the two networks' class scores, in evaluation mode."""
    model.eval()
    net.eval()
    with minitorch.no_grad():
        ours = model(minitorch.tensor(images)).to_numpy()
    with torch.no_grad():
        theirs = net(torch.from_numpy(images)).numpy()
    model.train()
    net.train()
    return float(np.max(np.abs(ours - theirs)))


@dataclass
class Row:
    """One measured comparison: minitorch's time, PyTorch's (float64, float32), and a target."""

    name: str
    shape: str
    ours: float
    torch64: float | None
    torch32: float | None
    target: float | None

    def cells(self) -> list[str]:
        vs64 = ratio(self.ours, self.torch64) if self.torch64 else "-"
        vs32 = ratio(self.ours, self.torch32) if self.torch32 else "-"
        met = "-"
        if self.torch64 and self.target:
            met = "yes" if self.ours / self.torch64 <= self.target else "NO"
        target = f"<= {self.target:g}x" if self.target else "-"
        return [
            self.name,
            self.shape,
            ms(self.ours),
            ms(self.torch64) if self.torch64 else "-",
            ms(self.torch32) if self.torch32 else "-",
            vs64,
            target,
            met,
            vs32,
        ]


HEADERS = ["measured", "shape", "minitorch", "torch f64", "torch f32", "ratio", "target", "met"]
HEADERS.append("vs f32")


def _measure(
    name: str,
    shape: str,
    candidates: dict[str, Callable[[], object]],
    repeats: int,
    target: float | None,
    calls: int = 1,
) -> Row:
    """Time the candidates ``ours``, ``torch64`` and maybe ``torch32``, interleaved.

    ``calls`` runs each candidate that many times per round (for operations of
    microseconds, whose single call the clock cannot time); the time is per call.
    """
    if calls > 1:
        candidates = {key: _repeated(fn, calls) for key, fn in candidates.items()}
    times = median_times(candidates, repeats=repeats, warmup=2)
    per_call = {key: value / calls for key, value in times.items()}
    return Row(
        name, shape, per_call["ours"], per_call.get("torch64"), per_call.get("torch32"), target
    )


def _repeated(fn: Callable[[], object], calls: int) -> Callable[[], object]:
    def run() -> object:
        for _ in range(calls):
            fn()
        return None

    return run


# ------------------------------------------------------------------ a training step
def step_rows(batches: Sequence[int], repeats: int, notes: list[str]) -> list[Row]:
    """One Adam training step of each network at each batch size."""
    rows = []
    rng = np.random.default_rng(0)
    for name in NETWORKS:
        for batch in batches:
            model, size = _minitorch_model(name)
            images = rng.standard_normal((batch, 1, size, size))
            labels = rng.integers(0, 10, size=batch)
            optimizer = Adam(model.parameters(), lr=1e-3)
            x = minitorch.tensor(images)

            def ours(model=model, optimizer=optimizer, x=x, labels=labels) -> None:
                optimizer.zero_grad()
                loss = nn.cross_entropy(model(x), labels)
                loss.backward()
                optimizer.step()

            candidates: dict[str, Callable[[], object]] = {"ours": ours}
            if torch is not None:
                for key, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
                    net = _torch_model(name, model, dtype)
                    if key == "torch64" and batch == batches[0]:
                        difference = _same_outputs(model, net, images[:4])
                        notes.append(
                            f"{name}: PyTorch's copy gives the same class scores (largest "
                            f"difference {difference:.1e} in evaluation mode)"
                        )
                    candidates[key] = _torch_step(net, images, labels, dtype)
            rows.append(
                _measure(f"step {name}", f"batch {batch}", candidates, repeats, STEP_TARGET)
            )
    return rows


def _torch_step(
    net: Any, images: np.ndarray, labels: np.ndarray, dtype: Any
) -> Callable[[], None]:
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.from_numpy(images).to(dtype)
    y = torch.from_numpy(labels)

    def step() -> None:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()

    return step


# ------------------------------------------------------------------ small operations
def small_rows(repeats: int, calls: int) -> list[Row]:
    """A 10 x 10 add, its sum and a 10 x 10 matmul, from the call to the result."""
    data = np.random.default_rng(1).standard_normal((2, 10, 10))
    a, b = minitorch.tensor(data[0]), minitorch.tensor(data[1])
    ops: list[tuple[str, Callable[[Any, Any], object]]] = [
        ("add", lambda x, y: x + y),
        ("sum", lambda x, y: x.sum()),
        ("matmul", lambda x, y: x @ y),
    ]
    rows = []
    for name, op in ops:
        candidates: dict[str, Callable[[], object]] = {"ours": lambda op=op: op(a, b)}
        if torch is not None:
            for key, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
                ta, tb = (torch.from_numpy(d).to(dtype) for d in data)
                candidates[key] = lambda op=op, ta=ta, tb=tb: op(ta, tb)
        rows.append(_measure(name, "10x10", candidates, repeats, SMALL_TARGET, calls=calls))
    return rows


# ------------------------------------------------------------------ the fused pieces
# The inputs of each network's two poolings: [channels, height, width].
POOL_SHAPES = {"DigitsCNN": [(12, 8, 8), (48, 4, 4)], "LeNet-5": [(6, 28, 28), (16, 10, 10)]}


def piece_rows(batches: Sequence[int], repeats: int) -> list[Row]:
    """Pooling, log-softmax with cross-entropy and Adam on the networks' shapes."""
    rng = np.random.default_rng(2)
    rows = []
    for batch in batches:
        for network, shapes in POOL_SHAPES.items():
            for channels, height, width in shapes:
                shape = (batch, channels, height, width)
                data = rng.standard_normal(shape)
                grad = rng.standard_normal((batch, channels, height // 2, width // 2))
                label = f"{network} {'x'.join(map(str, shape))}"
                for pool in ("max", "avg"):
                    candidates = {"ours": _ours_pool(pool, data, grad)}
                    if torch is not None:
                        for key, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
                            candidates[key] = _torch_pool(pool, data, grad, dtype)
                    rows.append(
                        _measure(f"{pool}_pool2d 2 f+b", label, candidates, repeats, PIECE_TARGET)
                    )
        logits = rng.standard_normal((batch, 10))
        labels = rng.integers(0, 10, size=batch)
        candidates = {"ours": _ours_cross_entropy(logits, labels)}
        if torch is not None:
            for key, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
                candidates[key] = _torch_cross_entropy(logits, labels, dtype)
        rows.append(
            _measure("cross_entropy f+b", f"{batch}x10", candidates, repeats, PIECE_TARGET, 20)
        )
    for network in NETWORKS:
        model, _ = _minitorch_model(network)
        candidates = {"ours": _ours_adam(model)}
        if torch is not None:
            for key, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
                candidates[key] = _torch_adam(network, model, dtype)
        count = sum(p.value.size for p in model.parameters())
        rows.append(
            _measure(
                "Adam step",
                f"{network}, {count} numbers",
                candidates,
                repeats,
                PIECE_TARGET,
                calls=10,
            )
        )
    return rows


def _ours_pool(pool: str, data: np.ndarray, grad: np.ndarray) -> Callable[[], None]:
    x = minitorch.tensor(data, requires_grad=True)
    d = minitorch.tensor(grad)
    function = nn.max_pool2d if pool == "max" else nn.avg_pool2d

    def run() -> None:
        x.grad = None
        function(x, 2).backward(d)

    return run


def _torch_pool(pool: str, data: np.ndarray, grad: np.ndarray, dtype: Any) -> Callable[[], None]:
    x = torch.from_numpy(data).to(dtype).requires_grad_(True)
    d = torch.from_numpy(grad).to(dtype)
    function = torch.nn.functional.max_pool2d if pool == "max" else torch.nn.functional.avg_pool2d

    def run() -> None:
        x.grad = None
        function(x, 2).backward(d)

    return run


def _ours_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    x = minitorch.tensor(logits, requires_grad=True)

    def run() -> None:
        x.grad = None
        nn.cross_entropy(x, labels).backward()

    return run


def _torch_cross_entropy(logits: np.ndarray, labels: np.ndarray, dtype: Any) -> Callable[[], None]:
    x = torch.from_numpy(logits).to(dtype).requires_grad_(True)
    y = torch.from_numpy(labels)

    def run() -> None:
        x.grad = None
        torch.nn.functional.cross_entropy(x, y).backward()

    return run


def _ours_adam(model: Module) -> Callable[[], None]:
    """Adam steps with fixed gradients (small ones, so that the values stay sensible)."""
    rng = np.random.default_rng(3)
    for parameter in model.parameters():
        shape = parameter.value.shape
        parameter.value.grad = minitorch.tensor(rng.standard_normal(shape) * 1e-3)
    return Adam(model.parameters(), lr=1e-6).step


def _torch_adam(network: str, model: Module, dtype: Any) -> Callable[[], None]:
    net = _torch_model(network, model, dtype)
    rng = np.random.default_rng(3)
    for parameter in net.parameters():
        parameter.grad = torch.from_numpy(rng.standard_normal(parameter.shape) * 1e-3).to(dtype)
    return torch.optim.Adam(net.parameters(), lr=1e-6).step


# ------------------------------------------------------------------ start-up
START_UP = {
    "import minitorch": "import minitorch\n",
    "first conv2d": (
        "import minitorch\n"
        "x = minitorch.rand((2, 3, 8, 8), seed=0)\n"
        "w = minitorch.rand((4, 3, 3, 3), seed=1)\n"
        "minitorch.conv2d(x, w).to_numpy()\n"
    ),
}


def start_up(runs: int) -> dict[str, tuple[float, float]]:
    """Seconds from before ``import minitorch`` to the end of each snippet of ``START_UP``.

    The first, discarded run warms the caches a user's machine keeps: Numba's
    kernels and Python's bytecode of the library. It may write bytecode even
    where ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's machines):
    an installed package has its bytecode, and an editable install writes it on
    its first import; without it every run compiles the library's sources
    again (all of them: 0.2 s on the 2-core AMD EPYC, load average 3.6).

    Returns:
        snippet name -> (median inside the process, median of the whole process),
        over ``runs`` fresh processes after the one that warms the caches.
    """
    warming = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    results = {}
    for name, snippet in START_UP.items():
        code = f"import time\nstart = time.perf_counter()\n{snippet}print(time.perf_counter() - start)\n"
        inside, whole = [], []
        for run in range(runs + 1):
            begin = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                env=None if run > 0 else warming,
            )
            if result.returncode != 0:
                raise RuntimeError(f"start-up of {name!r} failed:\n{result.stderr[-2000:]}")
            if run > 0:
                whole.append(time.perf_counter() - begin)
                inside.append(float(result.stdout.strip().splitlines()[-1]))
        results[name] = (statistics.median(inside), statistics.median(whole))
    return results


# ------------------------------------------------------------------ the run
def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


# The tables, in the order they run.
PARTS = ("step", "small", "pieces", "startup")


def main(argv: Sequence[str] = ()) -> dict[str, list[Row] | dict[str, tuple[float, float]]]:
    """Measure every row, print the tables, and return the rows.

    ``argv`` holds this benchmark's own options: ``--repeats N`` (rounds per row),
    ``--batches 32 128``, ``--calls N`` (calls per round of a small operation),
    ``--startup-runs N`` (0 skips the start-up timing), ``--only step small pieces startup``,
    ``--threads N``.
    """
    parser = argparse.ArgumentParser(description="A training step against PyTorch.")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for both libraries (at most Numba's; by default all of Numba's): on a "
        "machine busy with other work, 1 thread each compares the two with less noise",
    )
    parser.add_argument(
        "--only", nargs="+", choices=PARTS, default=list(PARTS), help="the tables to measure"
    )
    args = parser.parse_args(list(argv))
    import numba

    if args.threads is not None:
        numba.set_num_threads(args.threads)
    threads = numba.get_num_threads()
    peer = f"minitorch on {threads} Numba threads, "
    if torch is not None:
        torch.set_num_threads(threads)
        peer += f"PyTorch {torch.__version__} on {torch.get_num_threads()} threads"
    else:
        peer += "PyTorch not installed: minitorch's times only"
    print(f"Machine: {machine_summary()}")
    print(
        f"{peer}. Medians of {args.repeats} interleaved rounds, in ms; ratio = minitorch / "
        "PyTorch float64 (vs f32: / PyTorch float32)."
    )
    print(f"before: {_load()}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if threads > 1 and os.getloadavg()[0] > (cores or 1):
        print(
            f"The machine is busy (load above its {cores} cores): a parallel region then "
            "often waits a whole scheduler slice for its second thread, in both libraries, "
            "and multi-threaded times can be 10x off. Compare with --threads 1 as well."
        )
    notes: list[str] = []
    results: dict[str, Any] = {}
    if "step" in args.only:
        results["step"] = step_rows(args.batches, args.repeats, notes)
    if "small" in args.only:
        results["small"] = small_rows(args.repeats, args.calls)
    if "pieces" in args.only:
        results["pieces"] = piece_rows(args.batches, args.repeats)
    table = [row.cells() for rows in results.values() for row in rows]
    if table:
        print(format_table(HEADERS, table))
    for note in notes:
        print(note)
    if "startup" in args.only and args.startup_runs > 0:
        startup = start_up(args.startup_runs)
        results["startup"] = startup
        targets = {"import minitorch": IMPORT_TARGET, "first conv2d": FIRST_CONV_TARGET}
        lines = []
        for name, (inside, whole) in startup.items():
            met = "yes" if inside <= targets[name] else "NO"
            lines.append([name, f"{inside:.3f}", f"{whole:.3f}", f"<= {targets[name]:g} s", met])
        print(
            f"Start-up, medians of {args.startup_runs} fresh processes with warm caches "
            "(Numba's kernels, Python's bytecode), in s:"
        )
        print(format_table(["measured", "in process", "whole process", "target", "met"], lines))
    print(f"after: {_load()}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
