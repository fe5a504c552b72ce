"""The compile layer: kernels survive fork, a read-only install, damaged caches and edited sources."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch import jit
from minitorch.errors import CacheWarning

PACKAGE = Path(minitorch.__file__).parent


def run_python(code: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NUMBA_NUM_THREADS": "2", "NUMBA_DISABLE_JIT": "0", **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


FORK_PROBE = """
    import multiprocessing as mp
    import minitorch

    def work(i):
        x = minitorch.tensor([1.0, 2.0, 3.0]) * i
        big = minitorch.rand((400, 400), seed=i) * 0 + i  # large: parallel in a parent
        return (x.sum().item(), big.sum().item())

    if __name__ == "__main__":
        # The parent starts the threading layer (OpenMP) with a parallel kernel first.
        big = minitorch.rand((400, 400), seed=0)
        assert big.size >= minitorch.jit.PARALLEL_WORK
        (big * 3).sum()
        with mp.get_context("fork").Pool(2) as pool:
            print(pool.map_async(work, range(4)).get(timeout=120))
"""


def test_a_forked_pool_computes_after_the_parent_used_parallel_kernels() -> None:
    # Before: children printed "fork() called from a process already using GNU
    # OpenMP" and died, and the pool waited forever.
    result = run_python(FORK_PROBE, timeout=240)
    assert result.returncode == 0, result.stderr
    assert "OpenMP" not in result.stderr
    expected = [(6.0 * i, 160000.0 * i) for i in range(4)]
    assert eval(result.stdout.strip()) == expected


def test_launch_runs_small_work_and_forked_children_on_one_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def parallel(*args: object) -> None:
        calls.append("parallel")

    def serial(*args: object) -> None:
        calls.append("serial")

    monkeypatch.setitem(jit._serial_twins, id(parallel), serial)
    jit.launch(parallel, jit.PARALLEL_WORK)
    jit.launch(parallel, jit.PARALLEL_WORK - 1)
    monkeypatch.setattr(jit, "_forked", True)
    jit.launch(parallel, jit.PARALLEL_WORK)
    assert calls == ["parallel", "serial", "serial"]


def test_the_serial_twin_computes_what_the_parallel_kernel_does() -> None:
    x = minitorch.tensor(np.arange(12.0).reshape(3, 4))
    kernel = minitorch.fast_ops.tensor_reduce
    twin = jit.serial_twin(kernel)
    assert twin is jit.serial_twin(kernel)  # compiled once
    if not hasattr(kernel, "py_func"):  # NUMBA_DISABLE_JIT: both are the Python function
        return
    assert not twin.targetoptions.get("parallel")
    assert twin.py_func.__qualname__ == "_tensor_reduce_serial"  # its own cache files
    out = minitorch.zeros((1, 4))
    twin(minitorch.fast_ops.ADD, *out.kernel_args(), *x.kernel_args(), 0)
    assert out.to_numpy().tolist() == [[12.0, 15.0, 18.0, 21.0]]


def test_kernels_use_numpy_s_error_model_and_the_serial_twin_keeps_it() -> None:
    def ratio(a: float, b: float, n: int, d: int) -> tuple[float, int]:
        return a / b, n // d

    compiled = jit.njit()(ratio)
    if not hasattr(compiled, "py_func"):  # NUMBA_DISABLE_JIT: plain Python raises
        return
    assert compiled(1.0, 0.0, 7, 0) == (np.inf, 0)  # Python's model raises ZeroDivisionError
    twin = jit.serial_twin(jit.njit(parallel=True)(ratio))
    assert twin.targetoptions["error_model"] == "numpy"
    assert jit.njit(error_model="python")(ratio).targetoptions["error_model"] == "python"


READ_ONLY_PROBE = """
    import warnings
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        import minitorch
        x = minitorch.tensor([1.0, -2.0, 3.0])
        print(x.relu().to_numpy().tolist(), (-x).to_numpy().tolist())
    from minitorch.errors import CacheWarning
    print(sum(issubclass(w.category, CacheWarning) for w in caught))
    print(minitorch.fast_ops.tensor_map.stats.cache_path if hasattr(minitorch.fast_ops.tensor_map, "stats") else "")
"""


def test_a_read_only_install_without_any_writable_cache_imports_and_computes(
    tmp_path: Path,
) -> None:
    # Nowhere to write: __pycache__ is taken by a file (this holds for root, who
    # ignores permission bits), and the user and Numba cache directories lie
    # under /dev/null. Before: import raised "no locator available".
    package = tmp_path / "site" / "minitorch"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__pycache__").write_text("not a directory")
    result = run_python(
        READ_ONLY_PROBE,
        PYTHONPATH=str(package.parent),
        PYTHONDONTWRITEBYTECODE="1",
        HOME="/dev/null/home",
        XDG_CACHE_HOME="/dev/null/cache",
        NUMBA_CACHE_DIR="/dev/null/numba",
    )
    assert result.returncode == 0, result.stderr
    values, warned, _ = result.stdout.splitlines()
    assert values == "[1.0, 0.0, 3.0] [-1.0, 2.0, -3.0]"
    assert warned == "1", "one warning that kernels are not cached, however many compile"


def _load(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


KERNEL_MODULE = """
import operators

from minitorch.jit import njit

value = njit()(operators.value)


def kernel(x):
    return x + value()


compiled = njit(cache=True)(kernel)
"""


def _write_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> Path:
    """A kernel in kernel_module.py that inlines ``value()`` from operators.py (a kernel source)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delitem(sys.modules, "operators", raising=False)
    (tmp_path / "operators.py").write_text(f"def value():\n    return {value}\n")
    path = tmp_path / "kernel_module.py"
    if not path.exists():
        path.write_text(KERNEL_MODULE)
    return path


@pytest.fixture
def kernel_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path playing the package: its operators.py is one of the KERNEL_SOURCES."""
    if os.environ.get("NUMBA_DISABLE_JIT") == "1":
        pytest.skip("nothing is compiled")
    monkeypatch.setattr(jit, "PACKAGE", tmp_path)
    monkeypatch.setattr(jit, "_warned", set())
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    jit._library_stamp.cache_clear()


def test_editing_a_kernel_source_recompiles_kernels_of_other_files(
    kernel_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_kernel(kernel_package, monkeypatch, "1.0")
    assert _load(path, "kernel_one").compiled(10.0) == 11.0
    assert list((kernel_package / "__pycache__").glob("kernel_module.kernel-*.nbi"))
    # kernel_module.py is untouched, and Numba stamps its cache with that file
    # alone: before, this loaded the stale kernel and returned 11.0.
    path = _write_kernel(kernel_package, monkeypatch, "22.5")
    jit._library_stamp.cache_clear()  # as a new process would read the sources
    assert _load(path, "kernel_two").compiled(10.0) == 32.5


def test_a_damaged_cache_file_is_dropped_and_the_kernel_recompiled(
    kernel_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_kernel(kernel_package, monkeypatch, "1.0")
    assert _load(path, "kernel_first").compiled(1.0) == 2.0
    cached = sorted((kernel_package / "__pycache__").glob("kernel_module.kernel-*"))
    assert {p.suffix for p in cached} == {".nbi", ".nbc"}
    for p in cached:  # as a full disk or a killed process leaves them
        p.write_bytes(p.read_bytes()[:20])
    with pytest.warns(CacheWarning, match="damaged kernel cache file"):
        assert _load(path, "kernel_second").compiled(1.0) == 2.0
    # Saved afresh: a third process loads it without a word.
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        third = _load(path, "kernel_third")
        assert third.compiled(1.0) == 2.0
        assert sum(third.compiled.stats.cache_hits.values()) == 1


def test_a_cache_that_cannot_be_written_warns_once_and_computes(
    kernel_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_kernel(kernel_package, monkeypatch, "1.0")
    module = _load(path, "kernel_full")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module.compiled._cache._cache_file, "save", disk_full)
    with pytest.warns(CacheWarning, match="No space left"):
        assert module.compiled(1.0) == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert module.compiled(1) == 2  # another signature: no second warning


def test_numba_loads_only_when_the_fast_backend_is_first_used() -> None:
    # `import minitorch`, the plain backend (convolution included) and the
    # exercises need only NumPy; the first fast tensor brings Numba in.
    result = run_python(
        """
        import sys
        import minitorch
        assert "numba" not in sys.modules, "import minitorch loaded Numba"
        plain = minitorch.SimpleBackend
        x = minitorch.tensor([[[1.0, 2.0, 3.0]]], backend=plain, requires_grad=True)
        w = minitorch.tensor([[[1.0, -1.0]]], backend=plain)
        minitorch.conv1d(x * 2 + 1, w, padding=1).sum().backward()
        assert "numba" not in sys.modules, "the plain backend loaded Numba"
        print((minitorch.tensor([1.0, 2.0]) * 3).sum().item(), "numba" in sys.modules)
        print(minitorch.FastBackend is minitorch.tensor([1.0]).backend)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["9.0", "True", "True"]


LOADING_PROBE = """
    import sys

    import numpy as np
    from numba.core import compiler

    import minitorch

    compiles = []
    compile_extra = compiler.compile_extra
    compiler.compile_extra = lambda *args, **kw: compiles.append(1) or compile_extra(*args, **kw)
    differences = []
    for shape, weight_shape in (((2, 3, 8, 8), (4, 3, 3, 3)), ((2, 8, 32, 32), (16, 8, 3, 3))):
        x, w = minitorch.rand(shape, seed=0), minitorch.rand(weight_shape, seed=1)
        out = minitorch.conv2d(x, w).to_numpy()
        windows = np.lib.stride_tricks.sliding_window_view(x.to_numpy(), (3, 3), axis=(2, 3))
        expected = np.einsum("bcyxij,ocij->boyx", windows, w.to_numpy())
        differences.append(float(np.max(np.abs(out - expected))))
    print(len(compiles), "numba.np.arraymath" in sys.modules, "scipy.linalg" in sys.modules)
    print(max(differences) < 1e-12)
"""


def test_kernels_loaded_from_the_cache_leave_numba_s_compiler_registries_unloaded() -> None:
    # A conv2d on one thread and one on two (its work is above PARALLEL_WORK).
    # Before: loading the first cached kernel imported every registry of Numba's
    # compiler and SciPy's linear algebra, 0.45 s of the first conv2d's 0.95 s.
    # The first run warms the cache; a run can also compile when another
    # process edits a kernel source meanwhile, so up to three runs are made.
    for _ in range(3):
        result = run_python(LOADING_PROBE)
        assert result.returncode == 0, result.stderr
        loading, correct = result.stdout.splitlines()
        compiles, registries, scipy = loading.split()
        assert correct == "True"
        if compiles == "0":
            assert (registries, scipy) == ("False", "False")
            return
    pytest.fail("every run compiled a kernel: the cache never stayed warm")
