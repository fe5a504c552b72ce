"""Run every benchmark and print its tables: the tensor kernels, convolution, training.

Run it as ``nox -s bench`` (which sets two Numba threads) or directly with
``python tests/bench/run.py``. The benchmarks after the kernels' own
(``bench_conv.py``, ``bench_train.py`` beside this file) are loaded by path and
only if they are there; if one fails, its traceback is printed and the run
exits with status 1 after everything else ran.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

import bench_ops

HERE = Path(__file__).resolve().parent


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first, as an import would: dataclasses look their module up there.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The benchmarks that other parts of the library own, in the order they run.
OPTIONAL = [("Convolution", "bench_conv.py"), ("Training the book's networks", "bench_train.py")]


def main() -> int:
    """Run the benchmarks in order; return the exit status (1 if one of them failed)."""
    print("== Tensor kernels (tests/bench/bench_ops.py) ==")
    bench_ops.main()
    status = 0
    for title, name in OPTIONAL:
        path = HERE / name
        print(f"\n== {title} (tests/bench/{name}) ==")
        if not path.exists():
            print("not present: skipped")
            continue
        try:
            tables = _load(path).main()
        except Exception:
            traceback.print_exc()
            status = 1
            continue
        if isinstance(tables, str):
            print(tables)
    return status


if __name__ == "__main__":
    sys.exit(main())
