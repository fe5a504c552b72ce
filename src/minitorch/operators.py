"""Scalar functions and their derivatives.

Every tensor operation of the library is one of these functions applied
element by element, so each one is written once here, in plain Python that
Numba can also compile. Each function is self-contained (it calls no other
function of this module), so a kernel can compile any one of them alone. A ``*_back`` function takes the input ``x`` and the
gradient ``d`` flowing back from the output and returns ``d * f'(x)``.
"""

from __future__ import annotations

import math

# Two floats are "close" when they differ by less than this (absolute) plus
# this times the second one (relative), the rule NumPy's isclose uses.
CLOSE_TOLERANCE = 1e-2


def mul(x: float, y: float) -> float:
    """Multiply two numbers.

    >>> mul(3.0, 4.0)
    12.0
    """
    return x * y


def id(x: float) -> float:
    """Return the input unchanged.

    >>> id(2.5)
    2.5
    """
    return x


def add(x: float, y: float) -> float:
    """Add two numbers.

    >>> add(3.0, 4.5)
    7.5
    """
    return x + y


def neg(x: float) -> float:
    """Negate a number.

    >>> neg(2.0)
    -2.0
    """
    return -x


def lt(x: float, y: float) -> float:
    """Return 1.0 if ``x < y`` else 0.0.

    >>> lt(1.0, 2.0), lt(2.0, 1.0)
    (1.0, 0.0)
    """
    return 1.0 if x < y else 0.0


def eq(x: float, y: float) -> float:
    """Return 1.0 if ``x == y`` else 0.0.

    >>> eq(2.0, 2.0), eq(2.0, 3.0)
    (1.0, 0.0)
    """
    return 1.0 if x == y else 0.0


def max(x: float, y: float) -> float:
    """Return the larger of two numbers; NaN if either is NaN (as NumPy's ``maximum``).

    A NaN compares false with everything, so ``x if x > y else y`` alone would
    keep or drop it depending on its position; ``x != x`` holds only for NaN.

    >>> max(1.0, 3.0), max(math.nan, 1.0), max(1.0, math.nan)
    (3.0, nan, nan)
    """
    return x if (x > y or x != x) else y


def is_close(x: float, y: float) -> float:
    """Return 1.0 if ``|x - y| <= tol + tol * |y|`` with ``tol = 1e-2``, else 0.0.

    >>> is_close(1.0, 1.001), is_close(1.0, 1.5)
    (1.0, 0.0)
    """
    return 1.0 if abs(x - y) <= CLOSE_TOLERANCE + CLOSE_TOLERANCE * abs(y) else 0.0


def sigmoid(x: float) -> float:
    """Logistic function ``1 / (1 + e^-x)``, computed without overflow.

    For negative ``x`` the algebraically equal ``e^x / (1 + e^x)`` is used, so
    ``e`` is never raised to a large positive power.

    >>> sigmoid(0.0)
    0.5
    >>> round(sigmoid(-1000.0), 6), round(sigmoid(1000.0), 6)
    (0.0, 1.0)
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def relu(x: float) -> float:
    """Rectified linear unit: ``x`` if positive, else 0.

    >>> relu(-2.0), relu(3.0)
    (0.0, 3.0)
    """
    return x if x > 0.0 else 0.0


def log(x: float) -> float:
    """Natural logarithm; like NumPy, ``log(0)`` is ``-inf`` and a negative input ``nan``.

    >>> log(math.e), log(0.0)
    (1.0, -inf)
    """
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -math.inf
    return math.nan


def exp(x: float) -> float:
    """Exponential ``e^x``.

    >>> exp(0.0)
    1.0
    """
    return math.exp(x)


def inv(x: float) -> float:
    """Reciprocal ``1 / x``.

    >>> inv(4.0)
    0.25
    """
    return 1.0 / x


def log_back(x: float, d: float) -> float:
    """Gradient of ``log`` at ``x`` times ``d``: ``d / x``.

    >>> log_back(2.0, 1.0)
    0.5
    """
    return d / x


def inv_back(x: float, d: float) -> float:
    """Gradient of ``inv`` at ``x`` times ``d``: ``-d / x^2``.

    >>> inv_back(2.0, 1.0)
    -0.25
    """
    return -d / (x * x)


def relu_back(x: float, d: float) -> float:
    """Gradient of ``relu`` at ``x`` times ``d``: ``d`` if ``x > 0``, else 0.

    >>> relu_back(3.0, 5.0), relu_back(-1.0, 5.0)
    (5.0, 0.0)
    """
    return d if x > 0.0 else 0.0


def sigmoid_back(x: float, d: float) -> float:
    """Gradient of ``sigmoid`` at ``x`` times ``d``: ``d * s * (1 - s)``.

    >>> sigmoid_back(0.0, 1.0)
    0.25
    """
    # The sigmoid is recomputed inline: a kernel compiles this function on its own.
    if x >= 0.0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    return d * s * (1.0 - s)
