"""Optimisers: turn the gradients left on parameters by ``backward`` into new values.

An update is arithmetic on numbers, not part of any model, so it records no
graph: one kernel of the parameter's backend (``adam_step``, ``sgd_step``; the
loops are :func:`~minitorch.tensor_ops.tensor_adam_step` and
:func:`~minitorch.tensor_ops.tensor_sgd_step`) overwrites the parameter's
values and the optimiser's running averages in place, in one pass. The
parameter stays the same leaf tensor, and its version counter is bumped, as
:meth:`Parameter.copy_` does, so that a graph that saved the old values
refuses to run backward. A parameter without a gradient (unused in the last
forward pass) is left alone.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from .errors import ArgumentError, ArgumentTypeError
from .modules import Parameter
from .tensor import Tensor
from .tensor_ops import AdamStep, SGDStep


def _positive(name: str, argument: str, value: object) -> float:
    """``value`` as a float if it is a finite positive number, else the library's typed error.

    >>> _positive("SGD", "lr", 0.1)
    0.1
    >>> _positive("SGD", "lr", float("inf"))
    Traceback (most recent call last):
    ...
    minitorch.errors.ArgumentError: SGD: lr must be a finite positive number, got inf
    """
    if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
        raise ArgumentTypeError(f"{name}: {argument} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ArgumentError(f"{name}: {argument} must be a finite positive number, got {value}")
    return float(value)


class Optimizer(ABC):
    """What every optimiser shares: the parameters it updates, and clearing their gradients."""

    def __init__(self, parameters: Iterable[Parameter], name: str) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ArgumentError(f"{name}: got an empty list of parameters to optimise")
        for i, parameter in enumerate(self.parameters):
            if not isinstance(parameter, Parameter):
                raise ArgumentError(
                    f"{name}: parameter {i} is a {type(parameter).__name__}, not a Parameter; "
                    "pass module.parameters()"
                )

    @abstractmethod
    def step(self) -> None:
        """Update every parameter that has a gradient."""

    def zero_grad(self) -> None:
        """Forget every parameter's gradient, before the next backward pass accumulates one."""
        for parameter in self.parameters:
            parameter.zero_grad()

    def _gradients(self) -> Iterable[tuple[int, Tensor, Tensor]]:
        """Each parameter that has a gradient: its position, its value and the gradient."""
        for i, parameter in enumerate(self.parameters):
            if parameter.grad is not None:
                yield i, parameter.value, parameter.grad


def _written_in_place(value: Tensor) -> None:
    """Count an in-place write of ``value``, as :meth:`Parameter.copy_` does.

    A graph that saved the old values then refuses to run backward.
    """
    value._tensor.version.bump()


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum.

    ``velocity = momentum * velocity + grad``, then ``value -= lr * velocity``
    (the velocity starts at the first gradient; with ``momentum=0`` this is
    plain ``value -= lr * grad``).

    Args:
        parameters: the parameters to update, usually ``model.parameters()``.
        lr: the learning rate, positive.
        momentum: how much of the previous step to keep, in ``[0, 1)``.

    >>> from minitorch import tensor
    >>> p = Parameter(tensor([1.0, 2.0]))
    >>> (p.value * p.value).sum().backward()  # gradient 2 * value
    >>> SGD([p], lr=0.1).step()
    >>> p.value
    [0.80 1.60]

    """

    def __init__(self, parameters: Iterable[Parameter], lr: float, momentum: float = 0.0) -> None:
        super().__init__(parameters, "SGD")
        lr = _positive("SGD", "lr", lr)
        if not 0.0 <= momentum < 1.0:
            raise ArgumentError(f"SGD: momentum must be in [0, 1), got {momentum}")
        self.lr = lr
        self.momentum = momentum
        self.velocity: dict[int, Tensor] = {}

    def step(self) -> None:
        """Move every parameter that has a gradient one step downhill."""
        for i, value, grad in self._gradients():
            velocity = None
            first = False
            if self.momentum:
                first = i not in self.velocity
                velocity = self.velocity[i] if not first else value.zeros()
                self.velocity[i] = velocity
            value.backend.sgd_step(value, grad, velocity, SGDStep(self.lr, self.momentum, first))
            _written_in_place(value)


class Adam(Optimizer):
    r"""Adam: steps scaled by running estimates of the gradient's mean and spread.

    With ``t`` the number of steps this parameter has taken (from 1)::

        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad ** 2
        value -= lr * (m / (1 - beta1 ** t)) / (sqrt(v / (1 - beta2 ** t)) + eps)

    The divisions by ``1 - beta ** t`` undo the bias of starting ``m`` and
    ``v`` at zero, so the first step has size about ``lr`` in every coordinate.

    Args:
        parameters: the parameters to update, usually ``model.parameters()``.
        lr: the learning rate, positive.
        betas: the decay rates ``(beta1, beta2)`` of the two averages, each in ``[0, 1)``.
        eps: added to the denominator so that it is never zero, positive.

    >>> from minitorch import tensor
    >>> p = Parameter(tensor([1.0, -2.0]))
    >>> (p.value * p.value).sum().backward()
    >>> Adam([p], lr=0.1).step()
    >>> p.value
    [0.90 -1.90]

    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(parameters, "Adam")
        lr = _positive("Adam", "lr", lr)
        if len(betas) != 2 or not all(0.0 <= beta < 1.0 for beta in betas):
            raise ArgumentError(f"Adam: betas must be two numbers in [0, 1), got {betas}")
        eps = _positive("Adam", "eps", eps)
        self.lr = lr
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = eps
        self.steps: dict[int, int] = {}
        self.mean: dict[int, Tensor] = {}
        self.square: dict[int, Tensor] = {}

    def step(self) -> None:
        """Move every parameter that has a gradient one Adam step."""
        beta1, beta2 = self.betas
        for i, value, grad in self._gradients():
            t = self.steps[i] = self.steps.get(i, 0) + 1
            if i not in self.mean:
                self.mean[i], self.square[i] = value.zeros(), value.zeros()
            settings = AdamStep(self.lr, beta1, beta2, self.eps, 1.0 - beta1**t, 1.0 - beta2**t)
            value.backend.adam_step(value, grad, self.mean[i], self.square[i], settings)
            _written_in_place(value)
