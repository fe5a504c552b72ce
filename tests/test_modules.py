"""Tests of minitorch.modules: the Module tree, parameters, and the layers against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import conv_reference as ref
import minitorch
from minitorch import ArgumentError, ShapeError, nn
from minitorch.modules import (
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    Linear,
    Module,
    Parameter,
)
from strategies import assert_close, gradcheck

SIMPLE = minitorch.SimpleBackend


class Leaf(Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.weight = Parameter(minitorch.ones(size))
        self.scale = 2.0

    def forward(self, x: minitorch.Tensor) -> minitorch.Tensor:
        return nn.dropout(x * self.weight.value, 0.5, self.training, seed=0)


class Branch(Module):
    def __init__(self) -> None:
        super().__init__()
        self.left = Leaf(2)
        self.right = Leaf(3)
        self.bias = Parameter(minitorch.zeros(1))


class Tree(Module):
    def __init__(self) -> None:
        super().__init__()
        self.gain = Parameter(minitorch.ones(1))
        self.branch = Branch()
        self.leaf = Leaf(4)


def test_named_parameters_use_dotted_names_in_assignment_order() -> None:
    names = [name for name, _ in Tree().named_parameters()]
    assert names == [
        "gain",
        "branch.bias",
        "branch.left.weight",
        "branch.right.weight",
        "leaf.weight",
    ]
    assert [p.shape for p in Tree().parameters()] == [(1,), (1,), (2,), (3,), (4,)]


def test_modules_children_and_named_modules() -> None:
    tree = Tree()
    assert [type(m).__name__ for m in tree.children()] == ["Branch", "Leaf"]
    assert [name for name, _ in tree.named_modules()] == [
        "",
        "branch",
        "branch.left",
        "branch.right",
        "leaf",
    ]
    assert tree.modules()[0] is tree and len(tree.modules()) == 5


def test_attributes_go_to_the_right_place() -> None:
    tree = Tree()
    assert isinstance(tree.branch, Branch) and isinstance(tree.gain, Parameter)
    assert tree.leaf.scale == 2.0 and "scale" not in tree.leaf._parameters
    # Reassigning a name as a plain value removes it from the parameters.
    tree.gain = 3.0
    assert "gain" not in [name for name, _ in tree.named_parameters()]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = tree.missing


def test_train_and_eval_propagate_to_every_descendant() -> None:
    tree = Tree()
    assert all(m.training for m in tree.modules())
    assert tree.eval() is tree
    assert not any(m.training for m in tree.modules())
    tree.branch.train()
    assert [m.training for m in tree.modules()] == [False, True, True, True, False]
    tree.train()
    assert all(m.training for m in tree.modules())


def test_mode_switches_dropout_inside_a_layer() -> None:
    leaf = Leaf(100)
    x = minitorch.ones(100)
    assert (leaf(x).to_numpy() == 0).any()
    assert_close(leaf.eval()(x), np.ones(100))


def test_zero_grad_clears_every_parameter() -> None:
    tree = Tree()
    for p in tree.parameters():
        (p.value * 2.0).sum().backward()
        assert p.grad is not None
    tree.zero_grad()
    assert all(p.grad is None for p in tree.parameters())


def test_module_without_super_init_or_forward() -> None:
    class Forgetful(Module):
        def __init__(self) -> None:
            self.weight = Parameter(minitorch.ones(1))

    with pytest.raises(AttributeError, match="super"):
        Forgetful()
    with pytest.raises(TypeError, match="Branch defines no forward"):
        Branch()(minitorch.ones(1))


def test_repr_shows_the_tree() -> None:
    class Net(Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = Conv2d(1, 4, 3, padding=1, groups=1, bias=False, seed=0)
            self.out = Linear(4, 2, seed=0)

    assert repr(Net()) == (
        "Net(\n"
        "  (conv): Conv2d(1, 4, kernel_size=(3, 3), padding=1, bias=False)\n"
        "  (out): Linear(in_features=4, out_features=2)\n"
        ")"
    )


# ---------------------------------------------------------------- parameters
def test_parameter_holds_a_contiguous_leaf_copy_and_updates_in_place() -> None:
    base = minitorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    p = Parameter(base.permute(1, 0))
    assert p.value.is_leaf() and p.value.requires_grad and p.value.is_contiguous()
    assert_close(p.value, np.array([[1.0, 3.0], [2.0, 4.0]]))
    value = p.value
    p.copy_(np.array([[5.0, 6.0], [7.0, 8.0]]))
    assert p.value is value
    assert_close(p.value, np.array([[5.0, 6.0], [7.0, 8.0]]))
    assert_close(base, np.array([[1.0, 2.0], [3.0, 4.0]]))  # the source is untouched
    with pytest.raises(ShapeError, match=r"\(3,\).*\(2, 2\)"):
        p.copy_(np.zeros(3))


# -------------------------------------------------------------------- layers
def test_initialisation_is_seeded_and_bounded() -> None:
    a, b = Conv2d(3, 5, (2, 4), seed=7), Conv2d(3, 5, (2, 4), seed=7)
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert_close(p.value, q.value.to_numpy())
        bound = 1 / np.sqrt(3 * 2 * 4)
        assert np.abs(p.value.to_numpy()).max() <= bound, name
    # PyTorch's fan_in counts the weight's second dimension: in/groups, or out/groups
    # for a transposed layer, whose weight is in x out/groups x kernel
    grouped = Conv1d(6, 4, 3, groups=2, seed=0).weight.value.to_numpy()
    assert grouped.shape == (4, 3, 3)
    assert 0.5 / np.sqrt(9) < np.abs(grouped).max() <= 1 / np.sqrt(9)
    up = ConvTranspose2d(6, 4, 2, groups=2, seed=0).weight.value.to_numpy()
    assert up.shape == (6, 2, 2, 2)
    assert 0.5 / np.sqrt(8) < np.abs(up).max() <= 1 / np.sqrt(8)
    assert not np.array_equal(
        Linear(4, 3, seed=1).weight.value.to_numpy(), Linear(4, 3, seed=2).weight.value.to_numpy()
    )
    minitorch.manual_seed(11)
    first = Linear(4, 3).weight.value.to_numpy()
    minitorch.manual_seed(11)
    assert_close(Linear(4, 3).weight.value, first)


def test_initial_values_fill_the_range() -> None:
    # 6,400 uniform draws: both ends of [-1/8, 1/8] are approached within 1%.
    w = Linear(64, 100, seed=3).weight.value.to_numpy()
    assert w.min() < -0.99 / 8 and w.max() > 0.99 / 8
    assert abs(w.mean()) < 0.005


def test_linear_matches_numpy_and_its_gradient() -> None:
    layer = Linear(3, 2, backend=SIMPLE, seed=0)
    x = np.random.default_rng(0).normal(size=(4, 3))
    w, b = layer.weight.value.to_numpy(), layer.bias.value.to_numpy()
    assert_close(layer(minitorch.tensor(x, backend=SIMPLE)), x @ w + b)
    gradcheck(layer, x, backend=SIMPLE)
    # Parameters get gradients too: out = x w + b, weighted sum with g -> dW = x^T g.
    layer.zero_grad()
    g = np.random.default_rng(1).normal(size=(4, 2))
    (
        layer(minitorch.tensor(x, backend=SIMPLE)) * minitorch.tensor(g, backend=SIMPLE)
    ).sum().backward()
    assert layer.weight.grad is not None and layer.bias.grad is not None
    assert_close(layer.weight.grad, x.T @ g)
    assert_close(layer.bias.grad, g.sum(axis=0))


@pytest.mark.parametrize("backend", [minitorch.SimpleBackend, minitorch.FastBackend])
def test_conv_layers_call_the_functions_with_their_settings(backend) -> None:
    rng = np.random.default_rng(2)
    cases = [
        (
            Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, backend=backend, seed=0),
            (2, 4, 9),
            ref.conv,
            ((2,), ((1, 1),), (2,), 2),
        ),
        (
            Conv2d(2, 3, (2, 3), padding="same", backend=backend, seed=0),
            (2, 2, 4, 5),
            ref.conv,
            ((1, 1), ((0, 1), (1, 1)), (1, 1), 1),
        ),
    ]
    for layer, shape, fn, args in cases:
        x = rng.normal(size=shape)
        w, b = layer.weight.value.to_numpy(), layer.bias.value.to_numpy()
        expected = fn(x, w, *args) + b.reshape(-1, *(1,) * (len(shape) - 2))
        assert_close(layer(minitorch.tensor(x, backend=backend)), expected)
    up = ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1, backend=backend, seed=0)
    y = rng.normal(size=(1, 4, 5))
    w, b = up.weight.value.to_numpy(), up.bias.value.to_numpy()
    expected = ref.conv_transpose(y, w, (2,), (1,), (1,), (1,), 1) + b[:, None]
    assert_close(up(minitorch.tensor(y, backend=backend)), expected)
    assert Conv2d(2, 2, 3, bias=False).bias is None
    down = ConvTranspose2d(2, 2, 2, stride=2, bias=False, backend=backend)
    assert down(minitorch.ones((1, 2, 3, 3), backend=backend)).shape == (1, 2, 6, 6)


def test_conv_layer_gradients() -> None:
    conv1 = Conv1d(2, 2, 3, padding=1, backend=SIMPLE, seed=0)
    gradcheck(conv1, np.random.default_rng(4).normal(size=(2, 2, 5)), backend=SIMPLE)
    conv2 = Conv2d(2, 2, 2, backend=SIMPLE, seed=0)
    gradcheck(conv2, np.random.default_rng(5).normal(size=(1, 2, 3, 3)), backend=SIMPLE)
    conv2.zero_grad()
    x = np.random.default_rng(6).normal(size=(1, 2, 3, 3))
    conv2(minitorch.tensor(x, backend=SIMPLE)).sum().backward()
    # Every output pixel adds each bias once: d sum / d bias[o] = batch * out_height * out_width.
    assert conv2.bias.grad is not None
    assert_close(conv2.bias.grad, np.full(2, 4.0))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Linear(0, 3), ArgumentError, "in_features must be a positive integer, got 0"),
        (lambda: Conv2d(1, 2, (3, -1)), ArgumentError, r"kernel_size\[1\]"),
        (lambda: Conv2d(1, 2, (3, 3, 3)), ArgumentError, "kernel_size must be an int or 2"),
        (
            lambda: Conv2d(3, 2, 3, groups=2),
            ArgumentError,
            "in_channels 3 must divide by groups 2",
        ),
        (lambda: ConvTranspose1d(2, 3, 3, groups=2), ArgumentError, "out_channels 3"),
        (lambda: Conv1d(1, 2.5, 3), ArgumentError, "out_channels"),
        (lambda: Linear(3, 2)(minitorch.ones((4, 2))), ShapeError, r"\.\.\. x 3.*\(4, 2\)"),
        (lambda: Linear(3, 2)(minitorch.ones(3)), ShapeError, "batch first"),
        (lambda: Conv1d(3, 2, 2)(minitorch.ones((1, 2, 5))), ShapeError, "2 channels"),
    ],
)
def test_bad_arguments_raise_typed_errors(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_update_in_place_invalidates_a_graph_that_saved_the_old_values() -> None:
    p = Parameter(minitorch.tensor([1.0, 2.0]))
    loss = (p.value * p.value).sum()
    p.copy_(np.array([10.0, 20.0]))
    with pytest.raises(minitorch.GradientError, match="modified"):
        loss.backward()


def test_output_padding_only_for_transposed_layers() -> None:
    with pytest.raises(ArgumentError, match="Conv2d: output_padding belongs to transposed"):
        Conv2d(1, 1, 3, output_padding=1)
    assert ConvTranspose2d(1, 1, 3, stride=2, output_padding=1).output_padding == 1
