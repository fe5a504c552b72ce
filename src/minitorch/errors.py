"""The library's exceptions.

Every error a user can cause is raised at the public boundary, before any
kernel runs, as one of these. Each subclasses the built-in exception a Python
programmer would expect (``ValueError``, ``IndexError``), so ``except
ValueError`` still works, and its message names the operation, the rule that
was broken and the values that broke it.
"""

from __future__ import annotations


class MiniTorchError(Exception):
    """Base class of every error the library raises on bad input."""


class ShapeError(MiniTorchError, ValueError):
    """Shapes that do not fit the operation: broadcasting, views, matmul, convolution."""


class IndexingError(MiniTorchError, IndexError):
    """An index out of range or of the wrong length."""


class ArgumentError(MiniTorchError, ValueError):
    """An argument outside the values an operation accepts (a rate, an order, a label)."""


class ArgumentTypeError(MiniTorchError, TypeError):
    """An argument of the wrong type: a float where a size, an index or a dim must be an integer."""


class GradientError(MiniTorchError, ValueError):
    """A backward pass that cannot start, such as ``backward()`` on a non-scalar."""


class CacheWarning(UserWarning):
    """Compiled kernels could not be cached on disk (they still run, compiled in memory)."""
