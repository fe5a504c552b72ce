"""The element-wise benchmark compares like with like: each minitorch row computes its NumPy row's numbers."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from minitorch import Tensor

BENCH = Path(__file__).resolve().parent / "bench"


@pytest.fixture
def bench_elementwise(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # the benchmarks import `common`, as run.py runs them
    return importlib.import_module("bench_elementwise")


def test_every_row_computes_what_its_numpy_row_does(bench_elementwise: ModuleType) -> None:
    for name, shapes, ours, numpy_version in bench_elementwise.cases():
        result, expected = ours(), numpy_version()
        assert isinstance(result, Tensor), name
        got = result.to_numpy()
        assert got.size == np.size(expected), (name, shapes)
        np.testing.assert_allclose(
            got.reshape(np.shape(expected)), expected, rtol=1e-12, err_msg=name
        )


def test_the_table_has_a_row_per_case(bench_elementwise: ModuleType) -> None:
    table = bench_elementwise.main(repeats=1)
    assert len(table.splitlines()) == 3 + len(bench_elementwise.cases())
