import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch import operators
from minitorch.autodiff import central_difference

finite = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)
positive = st.floats(min_value=0.1, max_value=50.0)


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


@pytest.mark.parametrize(
    ("fn", "back", "domain"),
    [
        (operators.log, operators.log_back, positive),
        (operators.inv, operators.inv_back, positive),
        (operators.relu, operators.relu_back, finite.filter(lambda x: abs(x) > 1e-3)),
        (operators.sigmoid, operators.sigmoid_back, finite),
        (operators.exp, operators.exp_back, st.floats(-5, 5)),
        (operators.neg, operators.neg_back, finite),
    ],
)
def test_unary_derivatives_match_central_differences(fn, back, domain) -> None:  # type: ignore[no-untyped-def]
    @given(domain, st.floats(-2.0, 2.0))
    def check(x: float, d: float) -> None:
        expected = d * central_difference(fn, x)
        assert back(x, d) == pytest.approx(expected, rel=1e-4, abs=1e-5)

    check()


@given(finite, finite, st.floats(-2.0, 2.0))
def test_binary_derivatives(x: float, y: float, d: float) -> None:
    assert operators.mul_back(x, y, d) == (d * y, d * x)
    assert operators.add_back(x, y, d) == (d, d)
