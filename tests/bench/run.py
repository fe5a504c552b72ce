"""Run every benchmark and print its tables: the tensor kernels, then convolution.

Run it as ``nox -s bench`` (which sets two Numba threads) or directly with
``python tests/bench/run.py``. The convolution benchmark, ``bench_conv.py``
beside this file, is loaded by path and only if it is there; if it fails, its
traceback is printed and the run exits with status 1 after everything else ran.
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


def main() -> int:
    """Run the benchmarks in order; return the exit status (1 if one of them failed)."""
    print("== Tensor kernels (tests/bench/bench_ops.py) ==")
    bench_ops.main()
    conv = HERE / "bench_conv.py"
    print(f"\n== Convolution ({conv.relative_to(HERE.parent.parent)}) ==")
    if not conv.exists():
        print("not present: skipped")
        return 0
    try:
        tables = _load(conv).main()
    except Exception:
        traceback.print_exc()
        return 1
    if isinstance(tables, str):
        print(tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
