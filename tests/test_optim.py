"""Tests of minitorch.optim: updates against numbers worked out by hand, and short training."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import ArgumentError, nn
from minitorch.errors import ArgumentTypeError
from minitorch.modules import Conv1d, Linear, Module, Parameter
from minitorch.optim import SGD, Adam
from strategies import assert_close


def parameter_with_grad(values: list[float], grad: list[float]) -> Parameter:
    p = Parameter(minitorch.tensor(values))
    # The loss sum(g * value) has gradient g.
    (p.value * minitorch.tensor(grad)).sum().backward()
    return p


def regrad(p: Parameter, grad: list[float]) -> None:
    p.zero_grad()
    (p.value * minitorch.tensor(grad)).sum().backward()


def test_sgd_step_by_hand() -> None:
    p = parameter_with_grad([1.0, -2.0], [0.5, -4.0])
    SGD([p], lr=0.1).step()
    # 1 - 0.1 * 0.5 = 0.95 ; -2 - 0.1 * -4 = -1.6
    assert_close(p.value, np.array([0.95, -1.6]))


def test_sgd_momentum_by_hand() -> None:
    p = parameter_with_grad([1.0], [2.0])
    opt = SGD([p], lr=0.1, momentum=0.5)
    opt.step()  # v = 2, value = 1 - 0.2 = 0.8
    assert_close(p.value, np.array([0.8]))
    regrad(p, [1.0])
    opt.step()  # v = 0.5 * 2 + 1 = 2, value = 0.8 - 0.2 = 0.6
    assert_close(p.value, np.array([0.6]))
    regrad(p, [-4.0])
    opt.step()  # v = 0.5 * 2 - 4 = -3, value = 0.6 + 0.3 = 0.9
    assert_close(p.value, np.array([0.9]))


def test_adam_steps_by_hand() -> None:
    p = parameter_with_grad([1.0, 1.0], [2.0, -0.5])
    opt = Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0 + 1e-12)
    opt.step()
    # Step 1: m = 0.5 g, v = 0.25 g^2; m_hat = g, v_hat = g^2: step = lr * sign(g).
    assert_close(p.value, np.array([0.9, 1.1]))
    regrad(p, [1.0, -0.5])
    opt.step()
    # Step 2, first coordinate: m = 0.5 * 1 + 0.5 * 1 = 1, v = 0.75 * 1 + 0.25 * 1 = 1,
    # m_hat = 1 / 0.75, v_hat = 1 / (1 - 0.5625) = 1 / 0.4375.
    first = 0.9 - 0.1 * (1 / 0.75) / np.sqrt(1 / 0.4375)
    # Second coordinate: constant gradient, so m_hat = g and v_hat = g^2 again.
    assert_close(p.value, np.array([first, 1.2]))


def test_adam_matches_a_numpy_reference_over_many_steps() -> None:
    rng = np.random.default_rng(0)
    start = rng.normal(size=5)
    p = Parameter(minitorch.tensor(start))
    opt = Adam([p], lr=0.05)
    value, m, v = start.copy(), np.zeros(5), np.zeros(5)
    for t in range(1, 8):
        g = rng.normal(size=5)
        regrad(p, g.tolist())
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        value -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    assert_close(p.value, value)


def test_parameters_without_gradient_are_left_alone() -> None:
    used = parameter_with_grad([1.0], [1.0])
    unused = Parameter(minitorch.tensor([5.0]))
    for opt in (SGD([used, unused], lr=0.1, momentum=0.9), Adam([used, unused], lr=0.1)):
        opt.step()
        assert_close(unused.value, np.array([5.0]))


def test_zero_grad_and_update_keep_the_same_leaf() -> None:
    p = parameter_with_grad([1.0, 2.0], [1.0, 1.0])
    leaf = p.value
    opt = SGD([p], lr=1.0)
    opt.step()
    assert p.value is leaf and leaf.is_leaf() and leaf.history is not None
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr=0.0), "lr must be a finite positive number, got 0.0"),
        # Before: an infinite rate passed the check and turned every value into inf or nan.
        (lambda ps: SGD(ps, lr=float("inf")), "SGD: lr must be a finite positive number, got inf"),
        (lambda ps: SGD(ps, lr=float("nan")), "lr must be a finite positive number, got nan"),
        (lambda ps: SGD(ps, lr=0.1, momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
        (lambda ps: Adam(ps, lr=-1.0), "lr must be a finite positive number"),
        (
            lambda ps: Adam(ps, lr=float("inf")),
            "Adam: lr must be a finite positive number, got inf",
        ),
        (lambda ps: Adam(ps, betas=(0.9, 1.5)), r"betas.*\(0.9, 1.5\)"),
        (lambda ps: Adam(ps, eps=0.0), "eps must be a finite positive number"),
        (lambda ps: SGD([], lr=0.1), "empty"),
        (lambda ps: SGD([minitorch.ones(1)], lr=0.1), "Tensor, not a Parameter"),
    ],
)
def test_bad_arguments_raise_typed_errors(make, message) -> None:
    with pytest.raises(ArgumentError, match=message):
        make([Parameter(minitorch.ones(1))])


def test_a_learning_rate_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(ArgumentTypeError, match=r"SGD: lr must be a number, got '0.1'"):
        SGD([Parameter(minitorch.ones(1))], lr="0.1")  # type: ignore[arg-type]


# ------------------------------------------------------------ short training
class TinyConvNet(Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = Conv1d(1, 4, 3, seed=0)
        self.out = Linear(4, 2, seed=1)

    def forward(self, x: minitorch.Tensor) -> minitorch.Tensor:
        features = nn.max(self.conv(x).relu(), 2)
        return self.out(features.view(x.shape[0], 4))


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.5, momentum=0.5), lambda ps: Adam(ps, lr=0.05)]
)
def test_loss_decreases_on_a_tiny_batch(make) -> None:
    rng = np.random.default_rng(0)
    x = minitorch.from_numpy(rng.normal(size=(8, 1, 10)))
    labels = [0, 1] * 4
    model = TinyConvNet()
    opt = make(model.parameters())
    losses = []
    for _ in range(15):
        loss = nn.cross_entropy(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # Eight examples, 22 parameters: fifteen steps must fit them markedly better.
    assert losses[-1] < 0.7 * losses[0]
    assert all(np.isfinite(losses))
