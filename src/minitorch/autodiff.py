"""Reverse-mode automatic differentiation over a graph of variables.

Each result of a differentiable operation remembers the operation that made
it and that operation's inputs. ``backpropagate`` walks this graph from the
output back to the leaves in reverse topological order, so that a variable's
gradient is complete (every use summed) before it is passed further back.

Nothing here knows about tensors: any object with the :class:`Variable`
methods takes part, which is how the book first shows the algorithm on plain
numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .errors import ArgumentTypeError


@dataclass(slots=True)
class Context:
    """What a Function's forward leaves for its backward.

    ``save_for_backward`` keeps the values the derivative needs; when no
    gradient is required, nothing is kept, so inference holds no memory for it.
    It also notes the ``version`` of each value that has one (a tensor counts
    its in-place writes), so that a backward pass can refuse values changed
    since. After a backward pass the context is released: its values are
    dropped, and a second pass through it is refused.

    >>> ctx = Context()
    >>> ctx.save_for_backward(2.0, 3.0)
    >>> ctx.saved_values
    (2.0, 3.0)
    """

    no_grad: bool = False
    # Whether each tensor input takes part in backpropagation (PyTorch's name): a
    # backward may return None for one that does not, and skip computing it.
    needs_input_grad: tuple[bool, ...] = ()
    saved_values: tuple[Any, ...] = ()
    saved_versions: tuple[int | None, ...] = ()
    released: bool = False

    def save_for_backward(self, *values: Any) -> None:
        """Store values for the backward pass (skipped under ``no_grad``)."""
        if self.no_grad:
            return
        self.saved_values = values
        self.saved_versions = tuple(getattr(value, "version", None) for value in values)

    def release(self) -> None:
        """Drop the saved values once a backward pass has used them."""
        self.saved_values = ()
        self.saved_versions = ()
        self.released = True


@dataclass(slots=True)
class History:
    """How a variable was made: the Function, its saved context and its inputs.

    A leaf that requires a gradient has an empty history (no Function).
    """

    last_fn: Any = None
    ctx: Context | None = None
    inputs: tuple[Any, ...] = ()


class Variable(Protocol):
    """What backpropagation needs of a node of the graph."""

    @property
    def unique_id(self) -> int:
        """An id that is the same for the same node and different for others."""
        ...

    def is_leaf(self) -> bool:
        """Whether the node was created by the user rather than by an operation."""
        ...

    def is_constant(self) -> bool:
        """Whether the node needs no gradient at all."""
        ...

    @property
    def parents(self) -> Iterable[Variable]:
        """The inputs of the operation that created this node."""
        ...

    def chain_rule(self, d_output: Any) -> Iterable[tuple[Variable, Any]]:
        """Each parent with the gradient that flows to it from ``d_output``."""
        ...

    def accumulate_derivative(self, x: Any) -> None:
        """Add ``x`` to the gradient stored on a leaf."""
        ...


def topological_sort(variable: Variable) -> list[Variable]:
    """Return the non-constant nodes that lead to ``variable``, output first.

    Every node appears before all of its parents, so by the time backpropagation
    reaches a node, every path through which it influenced the output has
    already added its share to the node's gradient. Iterative, so deep graphs
    do not exhaust Python's recursion limit.
    """
    order: list[Variable] = []
    visited: set[int] = set()
    # Depth-first search with an explicit stack; a node is emitted after its parents.
    stack: list[tuple[Variable, bool]] = [(variable, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node.unique_id in visited or node.is_constant():
            continue
        visited.add(node.unique_id)
        stack.append((node, True))
        if not node.is_leaf():
            for parent in node.parents:
                if parent.unique_id not in visited and not parent.is_constant():
                    stack.append((parent, False))
    order.reverse()
    return order


def backpropagate(variable: Variable, d_output: Any) -> None:
    """Push ``d_output`` from ``variable`` back to every leaf, accumulating gradients.

    Args:
        variable: the output node (for a loss, a scalar).
        d_output: the derivative of the final result with respect to ``variable``.

    """
    derivatives: dict[int, Any] = {variable.unique_id: d_output}
    for node in topological_sort(variable):
        d = derivatives.pop(node.unique_id, None)
        if d is None:
            continue
        if node.is_leaf():
            node.accumulate_derivative(d)
            continue
        for parent, d_parent in node.chain_rule(d):
            if parent.is_constant():
                continue
            key = parent.unique_id
            derivatives[key] = d_parent if key not in derivatives else derivatives[key] + d_parent


def central_difference(
    f: Callable[..., float], *values: float, arg: int = 0, epsilon: float = 1e-6
) -> float:
    r"""Estimate the derivative of ``f`` with respect to argument ``arg``.

    ``f'(x) ~ (f(x + eps) - f(x - eps)) / (2 eps)``, whose error shrinks with
    ``eps^2`` rather than ``eps``.

    >>> round(central_difference(lambda x, y: x * y, 3.0, 4.0, arg=1), 6)
    3.0

    It refuses float32 numbers (``np.float32`` values, such as the elements
    of a float32 array): float32 keeps 24 bits, a relative precision of
    ``2^-23 ~ 1.2e-7``, so ``f(x + eps) - f(x - eps)`` with ``eps = 1e-6`` is
    a difference of two numbers that agree in all but their last one or two
    digits, and the quotient keeps about one correct digit (the precision
    page of the book measures it). Checking a float32 computation means
    running it in float64 (``float(x)``, ``.double()``) for the check.
    """
    for i, value in enumerate(values):
        if isinstance(value, np.floating) and np.finfo(value.dtype).bits < 64:
            raise ArgumentTypeError(
                f"central_difference: argument {i} is {value.dtype} ({value!r}); a difference "
                f"quotient with eps={epsilon} in {value.dtype} keeps about "
                f"{max(0.0, math.log10(2 * epsilon / float(np.finfo(value.dtype).eps))):.0f} "
                "significant digit(s) (the difference of two nearly equal numbers loses the "
                "rest); check gradients in float64: pass float(x), or compute with .double()"
            )
    up = list(values)
    down = list(values)
    up[arg] += epsilon
    down[arg] -= epsilon
    return (f(*up) - f(*down)) / (2.0 * epsilon)


class _GradMode:
    """Whether operations record the graph (switched off by :class:`no_grad`)."""

    enabled: bool = True


def is_grad_enabled() -> bool:
    """Whether operations currently record the graph for backpropagation.

    >>> is_grad_enabled()
    True
    """
    return _GradMode.enabled


class no_grad:  # noqa: N801 - a context manager named like PyTorch's
    """Context manager under which no graph is recorded and nothing is saved.

    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """

    def __enter__(self) -> None:
        self._previous = _GradMode.enabled
        _GradMode.enabled = False

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._previous
