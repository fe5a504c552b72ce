import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.errors import ArgumentError, IndexingError, ShapeError
from minitorch.fast_ops import broadcast_index_jit, index_to_position_jit, to_index_jit
from minitorch.tensor_data import (
    TensorData,
    broadcast_index,
    index_to_position,
    shape_broadcast,
    strides_from_shape,
    to_index,
)
from strategies import shapes


@given(shapes())
def test_every_position_enumerated_exactly_once(shape: tuple[int, ...]) -> None:
    td = TensorData(np.zeros(int(np.prod(shape))), shape)
    positions = [td.index(i) for i in td.indices()]
    assert sorted(positions) == list(range(td.size))


@given(shapes(), st.data())
def test_permuted_positions_enumerated_exactly_once(
    shape: tuple[int, ...], data: st.DataObject
) -> None:
    order = data.draw(st.permutations(range(len(shape))))
    td = TensorData(np.zeros(int(np.prod(shape))), shape).permute(*order)
    positions = [td.index(i) for i in td.indices()]
    assert sorted(positions) == list(range(td.size))
    assert len(set(td.indices())) == td.size


@given(shapes(), st.data())
def test_to_index_and_position_round_trip(shape: tuple[int, ...], data: st.DataObject) -> None:
    size = int(np.prod(shape))
    ordinal = data.draw(st.integers(0, size - 1))
    out = np.zeros(len(shape), dtype=np.int64)
    to_index(ordinal, np.array(shape), out)
    # Row-major strides turn the index back into the ordinal it came from.
    assert index_to_position(out, np.array(strides_from_shape(shape))) == ordinal
    assert all(0 <= i < s for i, s in zip(out, shape, strict=True))


@given(shapes(), st.data())
def test_compiled_index_math_matches_python(shape: tuple[int, ...], data: st.DataObject) -> None:
    ordinal = data.draw(st.integers(0, int(np.prod(shape)) - 1))
    a = np.zeros(len(shape), dtype=np.int64)
    b = np.zeros(len(shape), dtype=np.int64)
    to_index(ordinal, np.array(shape), a)
    to_index_jit(ordinal, np.array(shape), b)
    assert a.tolist() == b.tolist()
    strides = np.array(strides_from_shape(shape))
    assert index_to_position(a, strides) == index_to_position_jit(b, strides)
    small = np.array([1 if data.draw(st.booleans()) else s for s in shape[1:]], dtype=np.int64)
    x = np.zeros(len(small), dtype=np.int64)
    y = np.zeros(len(small), dtype=np.int64)
    broadcast_index(a, np.array(shape), small, x)
    broadcast_index_jit(a, np.array(shape), small, y)
    assert x.tolist() == y.tolist()


@given(shapes(), st.data())
def test_broadcast_index_reads_what_numpy_broadcasting_reads(
    shape: tuple[int, ...], data: st.DataObject
) -> None:
    small_shape = tuple(1 if data.draw(st.booleans()) else s for s in shape)
    small_shape = small_shape[data.draw(st.integers(0, len(shape) - 1)) :]
    small = np.arange(float(np.prod(small_shape))).reshape(small_shape)
    expected = np.broadcast_to(small, shape)
    td = TensorData(small.reshape(-1), small_shape)
    out = np.zeros(len(small_shape), dtype=np.int64)
    for big in np.ndindex(*shape):
        broadcast_index(np.array(big), np.array(shape), np.array(small_shape), out)
        assert td.get(tuple(out)) == expected[big]


@given(shapes(), shapes())
def test_shape_broadcast_agrees_with_numpy(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        with pytest.raises(ShapeError, match="broadcast"):
            shape_broadcast(a, b)
    else:
        assert shape_broadcast(a, b) == expected


def test_shape_broadcast_examples() -> None:
    assert shape_broadcast((1,), (5, 5)) == (5, 5)
    assert shape_broadcast((5, 5), (1,)) == (5, 5)
    assert shape_broadcast((1, 5, 5), (5, 5)) == (1, 5, 5)
    assert shape_broadcast((5, 1, 5, 1), (1, 5, 1, 5)) == (5, 5, 5, 5)
    with pytest.raises(ShapeError, match=r"\(5, 7, 5, 1\) and \(1, 5, 1, 5\)"):
        shape_broadcast((5, 7, 5, 1), (1, 5, 1, 5))


def test_contiguity() -> None:
    td = TensorData(np.zeros(24), (2, 3, 4))
    assert td.is_contiguous()
    assert not td.permute(2, 1, 0).is_contiguous()
    assert td.permute(0, 1, 2).is_contiguous()
    # A size-1 dimension's stride is never used, so it does not break contiguity.
    assert TensorData(np.zeros(4), (4, 1), (1, 7)).is_contiguous()


def test_index_errors_name_the_operation_and_values() -> None:
    td = TensorData(np.zeros(6), (2, 3))
    with pytest.raises(
        IndexingError, match=r"index: index \(0, 3\) is out of range for shape \(2, 3\)"
    ):
        td.get((0, 3))
    with pytest.raises(IndexingError, match=r"has 1 entries but the tensor has shape \(2, 3\)"):
        td.get((0,))
    with pytest.raises(IndexingError, match="out of range"):
        td.get((-1, 0))
    # The errors are also the built-in kind a Python programmer expects.
    with pytest.raises(IndexError):
        td.get((5, 5))


def test_permute_rejects_non_permutations() -> None:
    td = TensorData(np.zeros(6), (2, 3))
    for order in [(0,), (0, 0), (1, 2), (0, 1, 2)]:
        with pytest.raises(ArgumentError, match="permute: order"):
            td.permute(*order)


def test_strides_that_run_past_storage_are_rejected() -> None:
    with pytest.raises(ShapeError, match="past the end of a storage of 4 numbers"):
        TensorData(np.zeros(4), (2, 3))


def test_to_string_matches_the_book_printout() -> None:
    t = minitorch.tensor([[1, 2, 3], [4, 5, 6]])
    assert str(t) == "[[1.00 2.00 3.00]\n [4.00 5.00 6.00]]"
    assert str(minitorch.tensor([18, 28, 38])) == "[18.00 28.00 38.00]"


def test_empty_and_scalar_shapes() -> None:
    # A size 1 stretches to 0 as it does to any size (NumPy's rule).
    assert shape_broadcast((0, 1), (3,)) == (0, 3)
    assert (minitorch.zeros((0, 3)) + minitorch.ones((3,))).shape == (0, 3)
    assert strides_from_shape(()) == ()
    assert minitorch.ones(()).shape == ()
