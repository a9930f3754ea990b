"""fit with a dlcore.utils.Sequence: batch order, on_epoch_end, and the checks on what
__getitem__ returns (each error names the batch index)."""

import numpy as np
import pytest

from dlcore import utils
from dlcore.layers import LSTM, Dense
from dlcore.models import Sequential

SAMPLES, BATCH = 60, 6


class Recorded(utils.Sequence):
    """Ten batches of a small regression problem; remembers every call it gets."""

    def __init__(self, broken=None):
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(SAMPLES, 3)).astype(np.float32)
        self.y = self.x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
        self.broken = broken or {}  # index -> what __getitem__ returns instead
        self.calls = []

    def __len__(self):
        return SAMPLES // BATCH

    def __getitem__(self, index):
        self.calls.append(index)
        if index in self.broken:
            return self.broken[index]
        rows = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.calls.append("end")


def regression():
    utils.set_random_seed(0)
    model = Sequential([Dense(1, input_dim=3)])
    model.compile("sgd", "mse")
    return model


def epochs_read(calls):
    """The batch indices read in each epoch, from a call record ending every epoch in 'end'."""
    epochs, current = [], []
    for call in calls:
        if call == "end":
            epochs.append(current)
            current = []
        else:
            current.append(call)
    assert current == []  # nothing read after the last on_epoch_end
    return epochs


def test_without_shuffle_batches_come_in_order_and_on_epoch_end_follows_every_epoch():
    sequence = Recorded()
    history = regression().fit(sequence, epochs=3, shuffle=False, verbose=0)
    assert epochs_read(sequence.calls) == [list(range(10))] * 3
    assert sequence.calls.count("end") == 3
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_with_shuffle_every_epoch_reads_each_batch_once_in_a_new_order():
    sequence = Recorded()
    regression().fit(sequence, epochs=3, shuffle=True, verbose=0)
    epochs = epochs_read(sequence.calls)
    assert len(epochs) == 3 and sequence.calls.count("end") == 3
    for order in epochs:
        assert sorted(order) == list(range(10))
    assert any(order != list(range(10)) for order in epochs)
    assert epochs[0] != epochs[1] or epochs[1] != epochs[2]


def test_on_epoch_end_is_not_called_by_evaluate_or_predict():
    sequence = Recorded()
    model = regression()
    model.evaluate(sequence, verbose=0)
    model.predict(sequence)
    assert "end" not in sequence.calls


@pytest.mark.parametrize("returned, message", [
    (np.zeros((6, 3)), r"Recorded\[4\] must be a tuple \(x, y\) or \(x, y, sample_weight\), "
                       r"got ndarray"),
    ((np.zeros((6, 3)),), r"Recorded\[4\] must be a tuple .* got tuple of length 1"),
    ((np.zeros((6, 3)), np.zeros((5, 1))),
     r"Recorded\[4\] returned x of shape \(6, 3\), y of shape \(5, 1\); each must hold the "
     "same number of samples"),
    ((np.zeros((6, 3)), np.zeros((6, 1)), np.ones(4)),
     r"Recorded\[4\] returned .* sample_weight of shape \(4,\)"),
    ((np.zeros((6, 4)), np.zeros((6, 1))),
     r"Recorded\[4\] returned x of shape \(6, 4\) and y of shape \(6, 1\), but "
     r"Recorded\[0\] returned \(6, 3\) and \(6, 1\)"),
    ((np.zeros((6, 3)), np.zeros(6)),
     r"Recorded\[4\] returned x of shape \(6, 3\) and y of shape \(6,\), but "
     r"Recorded\[0\] returned \(6, 3\) and \(6, 1\)"),
])
def test_a_bad_batch_is_named_by_its_index(returned, message):
    sequence = Recorded(broken={4: returned})
    with pytest.raises(ValueError, match=message):
        regression().fit(sequence, epochs=1, shuffle=False, verbose=0)
    assert sequence.calls[-1] == 4  # stopped at the bad batch, before on_epoch_end


class PaddedSequences(utils.Sequence):
    """Batches of sequences padded to a different number of steps in each batch."""

    def __len__(self):
        return 3

    def __getitem__(self, index):
        steps = 3 + 2 * index
        return np.ones((4, steps, 2), np.float32), np.zeros((4, 1), np.float32)


def test_batches_may_differ_in_their_number_of_steps():
    utils.set_random_seed(0)
    model = Sequential([LSTM(3, input_shape=(None, 2)), Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(PaddedSequences(), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2



class _Batches(utils.Sequence):
    """Two batches of three rows: x alone, or (x, targets)."""

    def __init__(self, x, with_targets, targets=None):
        self.x, self.with_targets, self.targets = x, with_targets, targets

    def __len__(self):
        return 2

    def __getitem__(self, index):
        part = self.x[index * 3 : (index + 1) * 3]
        return (part, self.targets) if self.with_targets else part


def test_predict_reads_a_sequence_of_inputs_alone_and_fit_refuses_missing_targets():
    x = np.arange(12, dtype="float32").reshape(6, 2)
    model = Sequential([Dense(3, input_shape=(2,))])
    model.compile("sgd", "mse")
    np.testing.assert_allclose(model.predict(_Batches(x, False)), model.predict(x), rtol=1e-6)
    with pytest.raises(ValueError, match=r"_Batches\[\d\] must be a tuple"):
        model.fit(_Batches(x, False), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"returned no targets"):
        model.fit(_Batches(x, True, None), epochs=1, verbose=0)
