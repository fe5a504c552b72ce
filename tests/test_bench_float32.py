"""The float32 benchmark (tests/bench/bench_float32.py) runs: its three tables on tiny sizes.

No time is asserted; PyTorch is not installed in the test environment, so the
rows hold minitorch's float32 and float64 columns only. The benchmark checks
each float32 result against float64 before timing it, so a kernel that
computes float32 wrongly fails here too.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent / "bench"


@pytest.fixture
def bench_float32(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("bench_float32")


def test_the_tables_run_on_tiny_sizes(bench_float32: ModuleType, capsys) -> None:
    options = ["--repeats", "1", "--batches", "2", "--size", "4096", "--only", "LeNet-5 C3"]
    tables = bench_float32.main(options)
    printed = capsys.readouterr().out
    assert [row[0] for row in tables["conv"]] == ["LeNet-5 C3"]
    assert [row[0] for row in tables["step"]] == ["step DigitsCNN", "step LeNet-5"]
    assert [row[0] for row in tables["memory"]] == ["add", "relu", "sum", "permuted copy"]
    assert "what half the bytes bought" in printed


def test_a_float32_result_far_from_float64_is_refused(bench_float32: ModuleType) -> None:
    double = [np.linspace(-1.0, 1.0, 8)]
    bench_float32._check32("ok", [double[0].astype(np.float32)], double)
    with pytest.raises(AssertionError, match="differs from float64"):
        bench_float32._check32("off", [(double[0] * 1.001).astype(np.float32)], double)
    with pytest.raises(AssertionError, match="gave float64"):
        bench_float32._check32("dtype", double, double)
