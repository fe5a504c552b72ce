"""Compiling kernels with Numba: a disk cache that is never stale and never fatal, and one launcher.

Every compiled function of the library is made here, by :func:`njit` (Numba's
``njit`` with the same options), and every parallel kernel is started by
:func:`launch`. Four things differ from calling Numba directly:

- **The cache is keyed on the library's sources.** Numba checks only the file
  that defines a function, but a kernel in ``fast_ops.py`` inlines the scalar
  functions of ``operators.py`` and the index math of ``tensor_data.py``: a
  reader who edits ``operators.py`` (as the book invites) would run the old
  kernels. Here a cached kernel is valid only for the exact bytes of every file
  in ``KERNEL_SOURCES``; any edit recompiles.
- **No cache is not an error.** Where no cache directory is writable (a
  read-only install with a read-only home), Numba refuses ``cache=True`` at
  import. Here the kernels compile in memory and a :class:`CacheWarning` says
  so, once. A damaged cache file (truncated, or a disk that filled up while it
  was written) is dropped and the kernel recompiled, with the same warning.
- **A cached kernel loads without the compiler.** Numba prepares its whole
  compiler before loading one (SciPy included); here a process that only
  loads kernels never pays for it (``_ready_to_link``).
- **Small work, and forked processes, run on the calling thread.**
  :func:`launch` runs a parallel kernel's one-thread twin (the same code
  compiled without ``parallel``) when the work is small, where waking the
  other threads costs more than the work, and in a process made by ``fork``.
  GNU OpenMP, Numba's default threading layer here, cannot start threads in
  the child of a process that used it (the child prints "fork() called from a
  process already using GNU OpenMP" and a pool of workers never returns); a
  forked child therefore computes on one thread, as PyTorch's data-loader
  workers do, and OpenMP keeps its speed in the parent.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import threading
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba.core import caching
from numba.core.runtime import rtsys

from .errors import CacheWarning

# The files whose code a compiled kernel can contain: a kernel cached under one
# version of any of them is not used under another.
KERNEL_SOURCES = (
    "operators.py",
    "tensor_data.py",
    # the reference loops that fast_train.py's parallel kernels call, compiled as they are
    "tensor_ops.py",
    "fast_ops.py",
    "fast_conv.py",
    "simd.py",
    "fast_train.py",
    "jit.py",
)
PACKAGE = Path(__file__).resolve().parent

# Least work (elements, or multiply-adds) worth running on more than one thread:
# a 2 x 3 addition was measured at 0.6 ms on two threads and 0.04 ms on one.
PARALLEL_WORK = 2**17

# A pooling window's work besides its cells, in the units of PARALLEL_WORK: finding its
# bounds and dividing, or comparing, costs about as much as 24 element-wise additions
# (average pooling of 32 x 12 x 8 x 8 by 2 x 2: 23 ns a window on one thread, 2-core
# AMD EPYC), so 6144 windows of 4 cells already run faster on two threads.
WINDOW_WORK = 24

# Most pieces a parallel kernel's outer loop is cut into, each piece allocating
# its own buffers: enough to keep any core count busy, few enough that the
# buffers and per-piece set-up cost nothing.
MAX_PIECES = 64


@functools.cache
def _library_stamp(package: Path, own_file: str) -> str:
    """A digest of the kernel sources in ``package`` and of ``own_file``: equal when none changed.

    Read once per process, when the first kernel is defined (at import), so that
    the stamp describes the code this process loaded even if a file is edited
    while it runs; a kernel compiled from old code is never saved as new.

    >>> _library_stamp(PACKAGE, __file__) == _library_stamp(PACKAGE, __file__)
    True
    """
    digest = hashlib.sha256()
    paths = sorted({*(package / name for name in KERNEL_SOURCES), Path(own_file).resolve()})
    for path in paths:
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(path.name.encode() + b"\0missing")
    return digest.hexdigest()


class _LibraryStamp:
    """A cache locator whose freshness stamp covers the library's kernel sources."""

    _py_file: str

    def get_source_stamp(self) -> str:
        return _library_stamp(PACKAGE, self._py_file)


class _UserProvidedLocator(_LibraryStamp, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR``, when the user set it."""


class _InTreeLocator(_LibraryStamp, caching.InTreeCacheLocator):
    """``__pycache__`` beside the source, when it is writable."""


class _UserWideLocator(_LibraryStamp, caching.UserWideCacheLocator):
    """The user's cache directory (``~/.cache/numba``), for a read-only install."""


class _LibraryCacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_UserProvidedLocator, _InTreeLocator, _UserWideLocator]


_warned: set[str] = set()
_warn_lock = threading.Lock()


def _warn_once(reason: str, message: str) -> None:
    """Issue a :class:`CacheWarning` the first time a ``reason`` occurs in this process."""
    with _warn_lock:
        if reason in _warned:
            return
        _warned.add(reason)
    warnings.warn(message, CacheWarning, stacklevel=3)


def _ready_to_link(target_context: Any) -> None:
    """Register what a cached kernel's machine code calls, without refreshing Numba's target.

    Numba refreshes its whole target before it loads a cached kernel: it imports
    and registers the typing and lowering of everything it can compile, NumPy's
    linear algebra with SciPy's BLAS among them. Loaded machine code needs only
    symbols: the C helpers and math functions (registered when the target was
    made), the memory manager's (here), the hash secret's (imported here), and
    the threading layer's (a parallel kernel's own ``reload_init`` starts it).
    Compiling still refreshes everything: Numba's compiler does it first.
    """
    rtsys.initialize(target_context)
    import numba.cpython.hashing  # noqa: F401  (its import registers the hash secret)


class _LibraryCache(caching.FunctionCache):
    """Numba's function cache with the library's stamp, surviving damaged files and full disks."""

    _impl_class = _LibraryCacheImpl

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        # Without the refresh, a fresh process's first conv2d (warm cache) came 1.1 s
        # after its start instead of 1.7 s (medians of 7 interleaved processes, 2-core
        # AMD EPYC, load average 4): SciPy's import and the registries were spent on
        # a compile that never came.
        try:
            _ready_to_link(target_context)
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
        except Exception:  # loaded as Numba does below, which tells a damaged file apart
            pass
        try:
            return super().load_overload(sig, target_context)
        except Exception as error:  # a truncated or foreign file: any unpickling error
            _warn_once(
                "damaged",
                f"minitorch: a damaged kernel cache file in {self._cache_path} was "
                f"dropped and the kernel recompiled ({type(error).__name__}: {error})",
            )
            self._drop_files()
            return None

    def save_overload(self, sig: Any, data: Any) -> None:
        try:
            super().save_overload(sig, data)
        except Exception as error:  # a full disk, a file that vanished, a damaged index
            _warn_once(
                "unsaved",
                f"minitorch: could not write a compiled kernel to {self._cache_path} "
                f"({type(error).__name__}: {error}); it stays in memory for this process",
            )
            self._drop_files()

    def _drop_files(self) -> None:
        """Remove this function's index and data files, so the next save starts afresh."""
        base = self._cache_file._index_name.removesuffix(".nbi")
        for path in Path(self._cache_path).glob(f"{base}.*"):
            path.unlink(missing_ok=True)


def njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Numba's ``njit(**options)``, with ``cache=True`` meaning the library's cache.

    Kernels use NumPy's error model unless ``error_model`` is given (see below).

    Use it as Numba's: ``tensor_map = njit(parallel=True, cache=True)(_tensor_map)``.
    With ``NUMBA_DISABLE_JIT=1`` the function is returned as it is.

    >>> double = njit(cache=True)(lambda x: 2 * x)
    >>> double(21)
    42
    """
    cache = options.pop("cache", False)
    # NumPy's error model: a division by zero gives inf or nan, or 0 between integers,
    # instead of raising. Every argument is checked before a kernel runs, so no kernel
    # divides by zero; Python's model still tested every division (the index
    # arithmetic's included) and made average pooling 1.7x slower (2-core AMD EPYC).
    options.setdefault("error_model", "numpy")

    def compile_function(fn: Callable[..., Any]) -> Any:
        dispatcher = numba.njit(**options)(fn)
        if not cache or not isinstance(dispatcher, numba.core.dispatcher.Dispatcher):
            return dispatcher
        if not os.path.isfile(inspect.getfile(fn)):
            return dispatcher  # typed at a prompt or in a doctest: no file to cache beside
        try:
            dispatcher._cache = _LibraryCache(fn)  # type: ignore[attr-defined]
        except RuntimeError:  # "no locator available": no writable cache directory
            _warn_once(
                "no-cache",
                "minitorch: no writable cache directory (the install, ~/.cache and "
                "NUMBA_CACHE_DIR are read-only), so kernels are compiled in memory in "
                "each process; set NUMBA_CACHE_DIR to a writable directory to keep them",
            )
        return dispatcher

    return compile_function


# --- launching kernels -----------------------------------------------------


def pooling_work(windows: int, kernel: tuple[int, int]) -> int:
    """The work of a pooling kernel over ``windows`` windows of ``kernel`` cells, for :func:`launch`.

    >>> pooling_work(6144, (2, 2)) >= PARALLEL_WORK  # DigitsCNN's first pool at batch 32
    True
    """
    return windows * (WINDOW_WORK + kernel[0] * kernel[1])


_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)

_serial_twins: dict[int, Any] = {}


def serial_twin(kernel: Any) -> Any:
    """The kernel's code compiled without ``parallel`` (its ``prange`` a plain ``range``).

    Compiled on first use with the kernel's other options and cached beside it
    under its own name, so the two never share a cache entry.
    """
    twin = _serial_twins.get(id(kernel))
    if twin is not None:
        return twin
    py_func = getattr(kernel, "py_func", kernel)
    options = dict(getattr(kernel, "targetoptions", {}))
    options.pop("parallel", None)
    options.pop("nopython", None)
    # A copy of the function under another name: Numba names cache files after it.
    serial = types.FunctionType(
        py_func.__code__,
        py_func.__globals__,
        py_func.__name__ + "_serial",
        py_func.__defaults__,
        py_func.__closure__,
    )
    serial.__qualname__ = py_func.__qualname__ + "_serial"
    cached = getattr(kernel, "_cache", None) is not None and not isinstance(
        kernel._cache, caching.NullCache
    )
    twin = njit(cache=cached, **options)(serial) if py_func is not kernel else kernel
    _serial_twins[id(kernel)] = twin
    return twin


def launch(kernel: Any, work: int, *args: Any) -> None:
    """Run the parallel ``kernel(*args)``, on this thread when ``work`` is small or after a fork.

    Args:
        kernel: a kernel compiled with ``njit(parallel=True, ...)``.
        work: how much the call computes (elements, or multiply-adds), compared
            with ``PARALLEL_WORK``.
        *args: the kernel's arguments.

    >>> import numpy as np
    >>> def fill(out):
    ...     for i in numba.prange(len(out)):
    ...         out[i] = i
    >>> out = np.zeros(3)
    >>> launch(njit(parallel=True)(fill), 3, out)
    >>> out.tolist()
    [0.0, 1.0, 2.0]

    """
    if work >= PARALLEL_WORK and not _forked:
        kernel(*args)
    else:
        serial_twin(kernel)(*args)


# --- typing accumulators ---------------------------------------------------


def zero_of(array: Any) -> Any:
    """A zero of ``array``'s dtype, to start a sum that stays in that dtype.

    A ``0.0`` literal is a float64: an accumulator started with it makes a
    float32 kernel add in float64, converting every product and using vectors
    of 4 numbers instead of 8 (AVX2). Compiled, this is a constant of the
    array's dtype; in plain Python, NumPy's scalar of it.

    >>> import numpy as np
    >>> zero_of(np.ones(2, np.float32)).dtype
    dtype('float32')
    """
    return array.dtype.type(0)


@numba.extending.overload(zero_of, inline="always")
def _zero_of_compiled(array: Any) -> Any:
    zero = array.dtype(0)

    def constant(array: Any) -> Any:
        return zero

    return constant
