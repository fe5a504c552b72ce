"""The benchmark of a training step (tests/bench/bench_step.py) runs: its tables on tiny sizes.

No time is asserted (timings live in ``nox -s bench``); this only keeps the
benchmark from rotting between runs. PyTorch is not installed in the test
environment, so the rows show minitorch's times alone.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent / "bench"


@pytest.fixture
def bench_step(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The benchmarks import their shared helpers as `common`, as run.py runs them.
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("bench_step")


def test_the_tables_run_on_tiny_sizes(bench_step: ModuleType, capsys) -> None:
    options = ["--repeats", "1", "--batches", "2", "--calls", "1"]
    results = bench_step.main([*options, "--only", "step", "small", "pieces"])
    printed = capsys.readouterr().out
    assert [row.name for row in results["step"]] == ["step DigitsCNN", "step LeNet-5"]
    assert {row.name for row in results["small"]} == {"add", "sum", "matmul"}
    assert "cross_entropy f+b" in printed and "Adam step" in printed
    assert all(row.ours > 0 for rows in results.values() for row in rows)


def test_a_row_prints_its_ratio_next_to_its_target(bench_step: ModuleType) -> None:
    row = bench_step.Row("step", "batch 32", 0.030, 0.010, 0.005, 1.5)
    cells = row.cells()
    assert cells[5:] == ["3x", "<= 1.5x", "NO", "6x"]
    assert bench_step.Row("add", "10x10", 1e-5, None, None, 5.0).cells()[5:8] == [
        "-",
        "<= 5x",
        "-",
    ]
