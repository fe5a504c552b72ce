from dataclasses import dataclass, field

import numpy as np
import pytest

import minitorch
from minitorch.autodiff import Context, backpropagate, no_grad, topological_sort
from minitorch.errors import GradientError


@dataclass(eq=False)
class Node:
    """A scalar variable, enough to exercise the graph algorithms without tensors."""

    name: str
    inputs: tuple["Node", ...] = ()
    local: tuple[float, ...] = ()
    grad: float = 0.0
    constant: bool = False
    seen: list[str] = field(default_factory=list)

    @property
    def unique_id(self) -> int:
        return id(self)

    def is_leaf(self) -> bool:
        return not self.inputs

    def is_constant(self) -> bool:
        return self.constant

    @property
    def parents(self) -> tuple["Node", ...]:
        return self.inputs

    def chain_rule(self, d: float) -> list[tuple["Node", float]]:
        return [(p, d * g) for p, g in zip(self.inputs, self.local, strict=True)]

    def accumulate_derivative(self, x: float) -> None:
        self.grad += x


def test_topological_order_puts_every_node_before_its_parents() -> None:
    x, y = Node("x"), Node("y")
    a = Node("a", (x, y), (1.0, 1.0))
    b = Node("b", (a, x), (1.0, 1.0))
    c = Node("c", (b, a), (1.0, 1.0))
    order = topological_sort(c)
    position = {n.name: i for i, n in enumerate(order)}
    assert order[0] is c
    for node in order:
        for parent in node.parents:
            assert position[node.name] < position[parent.name]


def test_backpropagate_sums_every_path() -> None:
    # z = (x * y) + x, with x = 2, y = 3: dz/dx = y + 1 = 4, dz/dy = x = 2.
    x, y = Node("x"), Node("y")
    xy = Node("xy", (x, y), (3.0, 2.0))
    z = Node("z", (xy, x), (1.0, 1.0))
    backpropagate(z, 1.0)
    assert x.grad == 4.0
    assert y.grad == 2.0


def test_constants_receive_nothing() -> None:
    x, k = Node("x"), Node("k", constant=True)
    z = Node("z", (x, k), (5.0, 7.0))
    backpropagate(z, 1.0)
    assert x.grad == 5.0
    assert k.grad == 0.0


def test_deep_graph_does_not_hit_the_recursion_limit() -> None:
    x = Node("x")
    node = x
    for i in range(5000):
        node = Node(f"n{i}", (node,), (1.0,))
    backpropagate(node, 1.0)
    assert x.grad == 1.0


def test_context_saves_nothing_under_no_grad() -> None:
    ctx = Context(no_grad=True)
    ctx.save_for_backward(1.0)
    assert ctx.saved_values == ()


def test_tensor_used_twice_accumulates() -> None:
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + x * 3.0).sum()
    y.backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [5.0, 7.0]


def test_gradients_accumulate_across_backward_calls() -> None:
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [4.0, 4.0]


def test_broadcast_gradient_is_summed_to_the_input_shape() -> None:
    a = minitorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    bias = minitorch.tensor([10.0, 20.0, 30.0], requires_grad=True)
    (a + bias).sum().backward()
    assert bias.grad is not None and bias.grad.shape == (3,)
    assert bias.grad.to_numpy().tolist() == [2.0, 2.0, 2.0]


def test_no_grad_records_no_graph() -> None:
    x = minitorch.tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2.0
    assert not y.requires_grad
    with pytest.raises(GradientError, match="does not require a gradient"):
        y.backward()


def test_backward_on_a_non_scalar_needs_a_gradient() -> None:
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(GradientError, match=r"backward: a tensor of shape \(2,\) is not a scalar"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad_output has shape \(3,\)"):
        y.backward(minitorch.tensor([1.0, 1.0, 1.0]))
    y.backward(minitorch.tensor([1.0, 10.0]))
    assert x.grad is not None
    assert x.grad.to_numpy().tolist() == [2.0, 20.0]


def test_detach_cuts_the_graph() -> None:
    x = minitorch.tensor([3.0], requires_grad=True)
    y = x.detach() * x
    y.sum().backward()
    assert x.grad is not None
    assert x.grad.item() == 3.0


def test_a_gradient_no_input_needs_is_not_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A network's images and a first layer's inputs need no gradient: the convolution's
    # input gradient (a transposed convolution) and matmul's left product are skipped.
    from minitorch import tensor_functions

    def refuse(*args: object) -> None:
        raise AssertionError("computed a gradient that no input needs")

    x = minitorch.rand((2, 3, 8), seed=0)  # a constant: no requires_grad
    w = minitorch.rand((4, 3, 3), seed=1, requires_grad=True)
    b = minitorch.rand((4,), seed=2)  # a constant bias
    monkeypatch.setattr(tensor_functions, "_transpose", refuse)
    monkeypatch.setattr(tensor_functions, "_channel_sums", refuse)
    minitorch.conv1d(x, w, b).sum().backward()
    assert w.grad is not None and x.grad is None and b.grad is None
    expected = np.broadcast_to(x.to_numpy().sum(axis=0), (4, 3, 8))
    windows = np.stack([expected[:, :, k : k + 6].sum(axis=2) for k in range(3)], axis=2)
    np.testing.assert_allclose(w.grad.to_numpy(), windows, rtol=1e-12)

    a = minitorch.rand((5, 3), seed=3)
    m = minitorch.rand((3, 2), seed=4, requires_grad=True)
    calls = []
    backend = a.backend
    real = backend.matrix_multiply
    monkeypatch.setattr(backend, "matrix_multiply", lambda p, q: calls.append(1) or real(p, q))
    (a @ m).sum().backward()
    assert len(calls) == 2  # the product itself and m's gradient, not a's
    np.testing.assert_allclose(
        m.grad.to_numpy(), np.repeat(a.to_numpy().sum(axis=0)[:, None], 2, 1)
    )
