import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch import operators
from minitorch.autodiff import central_difference

finite = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)


@given(finite, finite)
def test_binary_ops_match_python(x: float, y: float) -> None:
    assert operators.add(x, y) == x + y
    assert operators.mul(x, y) == x * y
    assert operators.lt(x, y) == float(x < y)
    assert operators.eq(x, y) == float(x == y)
    assert operators.max(x, y) == max(x, y)


@given(finite)
def test_unary_ops_match_math(x: float) -> None:
    assert operators.neg(x) == -x
    assert operators.id(x) == x
    assert operators.relu(x) == max(x, 0.0)
    assert operators.exp(x) == pytest.approx(math.exp(x))
    assert operators.sigmoid(x) == pytest.approx(1.0 / (1.0 + math.exp(-x)))


def test_sigmoid_does_not_overflow() -> None:
    assert operators.sigmoid(-1000.0) == 0.0
    assert operators.sigmoid(1000.0) == 1.0


def test_log_edge_cases_follow_numpy() -> None:
    assert operators.log(0.0) == -math.inf
    assert math.isnan(operators.log(-1.0))


def test_is_close_uses_absolute_and_relative_tolerance() -> None:
    assert operators.is_close(100.0, 100.5) == 1.0
    assert operators.is_close(0.0, 0.02) == 0.0


# Each function's whole domain, negative numbers included: an error that shows
# only for x < 0 (inv_back written as -d / (x * |x|)) once passed every test.
reals = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)
nonzero = reals.filter(lambda x: abs(x) > 1e-2)
positive_reals = st.floats(min_value=1e-3, max_value=50.0)
grads = st.floats(-2.0, 2.0)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# (function, its *_back, domain, the derivative by an exact formula written independently)
DERIVATIVES = [
    (operators.log, operators.log_back, positive_reals, lambda x: 1.0 / x),
    (operators.inv, operators.inv_back, nonzero, lambda x: -1.0 / x**2),
    (operators.relu, operators.relu_back, nonzero, lambda x: 1.0 if x > 0 else 0.0),
    (operators.sigmoid, operators.sigmoid_back, reals, lambda x: _sigmoid(x) * _sigmoid(-x)),
]


@pytest.mark.parametrize(("fn", "back", "domain", "exact"), DERIVATIVES)
def test_derivatives_match_an_exact_formula_over_the_whole_domain(fn, back, domain, exact) -> None:  # type: ignore[no-untyped-def]
    # Both rounded a few times from the same real number: 1e-12 relative. Absolute
    # 1e-15: sigmoid_back's s * (1 - s) loses the digits of 1 - s once s nears 1,
    # an error of at most |d| * 2^-52 (|d| <= 2 here).
    @given(domain, grads)
    def check(x: float, d: float) -> None:
        assert back(x, d) == pytest.approx(d * exact(x), rel=1e-12, abs=1e-15)

    check()


@pytest.mark.parametrize(("fn", "back", "domain", "exact"), DERIVATIVES)
def test_derivatives_match_central_differences(fn, back, domain, exact) -> None:  # type: ignore[no-untyped-def]
    # The formula itself checked against the function: central differences with
    # eps = 1e-6 are good to about 1e-4 relative where the function is smooth
    # (relu is not at 0, and 1/x and log change fast near 0: keep away from it).
    @given(domain.filter(lambda x: abs(x) > 0.05), grads)
    def check(x: float, d: float) -> None:
        expected = d * central_difference(fn, x)
        assert back(x, d) == pytest.approx(expected, rel=1e-4, abs=1e-5)

    check()


@pytest.mark.parametrize("x", [-4.0, -0.5, -1e-3, 1e-3, 0.5, 4.0])
def test_inv_and_log_back_at_fixed_points_of_either_sign(x: float) -> None:
    assert operators.inv_back(x, 3.0) == -3.0 / (x * x)
    assert operators.inv_back(x, 3.0) < 0  # 1/x falls on both sides of 0
    assert operators.log_back(abs(x), 3.0) == 3.0 / abs(x)


def test_max_propagates_nan_from_either_side() -> None:
    assert math.isnan(operators.max(math.nan, 1.0))
    assert math.isnan(operators.max(1.0, math.nan))
    assert math.isnan(operators.max(-math.inf, math.nan))
    assert operators.max(-math.inf, 2.0) == 2.0


def test_the_ci_hypothesis_profile_applies_to_a_file_run_alone() -> None:
    # This file imports no helper module: before the profile moved into
    # conftest.py, running it alone drew 100 random examples per test.
    assert settings().max_examples == 40
    assert settings().derandomize
