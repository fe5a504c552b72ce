"""Run the benchmarks and print their tables: the tensor kernels, convolution, training.

Run it as ``nox -s bench`` (which sets two Numba threads) or directly with
``python tests/bench/run.py``. Name benchmarks to run only those, and put one
benchmark's own options after its name::

    nox -s bench -- conv                 # only the convolution sweep
    nox -s bench -- conv --quick         # the sweep with 3 rounds, no start-up timing
    nox -s bench -- conv --only resnet   # only the layers whose name contains "resnet"
    nox -s bench -- step --repeats 9   # a training step against PyTorch, 9 rounds
    nox -s bench -- train --seeds 0 1
    nox -s bench -- float32 --parts step memory

The kernels' benchmark (``bench_ops.py``) always exists; the others beside
this file are loaded by path and only if they are there. If one fails, its
traceback is printed and the run exits with status 1 after everything else ran.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent

# name on the command line -> (title, file), in the order they run.
BENCHMARKS = {
    "ops": ("Tensor kernels", "bench_ops.py"),
    "elementwise": ("The element-wise operations of a training step", "bench_elementwise.py"),
    "conv": ("Convolution", "bench_conv.py"),
    "step": ("A training step and its pieces against PyTorch", "bench_step.py"),
    "train": ("Training the book's networks", "bench_train.py"),
    "float32": ("float32 against PyTorch float32 and against float64", "bench_float32.py"),
}
# The benchmarks whose main() parses options of its own.
TAKES_OPTIONS = {"conv", "step", "train", "float32"}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first, as an import would: dataclasses look their module up there.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _usage() -> str:
    return f"usage: run.py [{'|'.join(BENCHMARKS)} ...] [options of the one benchmark named]"


def main(argv: Sequence[str] = ()) -> int:
    """Run the named benchmarks (all by default); return the exit status (1 if one failed).

    Leading words of ``argv`` name benchmarks; the rest are options for the one
    benchmark named (its ``main(options)`` parses them).
    """
    args = list(argv)
    if args[:1] in (["-h"], ["--help"]):
        print(_usage())
        return 0
    names = []
    while args and args[0] in BENCHMARKS:
        names.append(args.pop(0))
    if args and (len(names) != 1 or names[0] not in TAKES_OPTIONS):
        print(f"{_usage()}\nunknown benchmark, or options for {names or 'all'}: {args}")
        return 2
    status = 0
    for name in names or list(BENCHMARKS):
        title, file = BENCHMARKS[name]
        path = HERE / file
        print(f"\n== {title} (tests/bench/{file}) ==")
        if not path.exists():
            print("not present: skipped")
            continue
        try:
            module = _load(path)
            tables = module.main(args) if args else module.main()
        except Exception:
            traceback.print_exc()
            status = 1
            continue
        if isinstance(tables, str):
            print(tables)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
