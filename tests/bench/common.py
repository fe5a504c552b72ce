"""Timing helpers shared by the benchmarks: medians of interleaved repeats, the machine, tables.

The machines this runs on are shared and noisy (phases 2x apart), so every
comparison is measured in one run with the candidates interleaved: each
round calls every candidate once, in an order that rotates from round to round,
and each candidate's time is the median over the rounds. A slow phase then hits
all candidates alike instead of the one that happened to run during it.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def median_times(
    candidates: dict[str, Callable[[], object]], repeats: int = 7, warmup: int = 1
) -> dict[str, float]:
    """Median seconds per call of each candidate, measured in interleaved rounds.

    Args:
        candidates: name -> a function of no arguments that does the work once.
        repeats: rounds measured; each calls every candidate once.
        warmup: rounds run first and discarded (compilation, caches, page faults).

    Returns:
        name -> median seconds over the measured rounds.
    """
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            candidates[name]()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it, or the platform's guess."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_summary() -> str:
    """One line on where the numbers come from: CPU, cores, threads, library versions."""
    import numba
    import numpy as np

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = numba.config.NUMBA_NUM_THREADS
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{cpu_model()}, {cores} cores usable (Numba threads: {threads}{load}); "
        f"Python {platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}"
    )


def ms(seconds: float) -> str:
    """Seconds as milliseconds with three significant digits."""
    return f"{seconds * 1e3:.3g}"


def ratio(x: float, y: float) -> str:
    """``x / y`` with a trailing ``x``, rounded to two significant digits (three above 100)."""
    r = x / y
    return f"{r:.3g}x" if r >= 100 else f"{r:.2g}x"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with columns padded to their widest cell.

    >>> print(format_table(["op", "ms"], [["neg", "0.1"], ["exp", "12"]]))
    op   ms
    ---  ---
    neg  0.1
    exp  12
    """
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
