"""dlcore.datasets: the bundled digits, IDX/MNIST files, and the generated teaching sets."""

import dataclasses
import gzip
import math
import struct

import numpy as np
import pytest

import dlcore as dl
from dlcore import datasets
from dlcore.layers import LSTM, Dense
from dlcore.losses import sparse_categorical_crossentropy
from dlcore.models import Sequential

# ----- IDX files, written byte by byte from the format's description ---------------------
IDX_TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
                  np.float32: 0x0D, np.float64: 0x0E}
MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``: magic, big-endian uint32 dims, big-endian values."""
    magic = bytes([0, 0, IDX_TYPE_CODES[array.dtype.type], array.ndim])
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return magic + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def pixels(n, rows=28, cols=28, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, rows, cols), dtype=np.uint8)


def digits(n, seed=0):
    return np.random.default_rng(seed).integers(0, 10, n, dtype=np.uint8)


def write_mnist_folder(folder, n_train=5, n_test=3, compressed=(False, True, True, False)):
    """The four MNIST files in ``folder``; ``compressed[i]`` gzips the i-th (adding .gz)."""
    arrays = (pixels(n_train), digits(n_train), pixels(n_test, seed=1), digits(n_test, seed=1))
    for name, array, gzipped in zip(MNIST_NAMES, arrays, compressed, strict=True):
        content = idx_bytes(array)
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return arrays


@pytest.mark.parametrize("dtype", list(IDX_TYPE_CODES))
def test_read_idx_returns_every_type_with_its_shape_and_values(tmp_path, dtype):
    sign = 1 if dtype is np.uint8 else -3
    array = (sign * np.arange(24).reshape(2, 3, 4)).astype(dtype)
    (tmp_path / "array.idx").write_bytes(idx_bytes(array))
    read = datasets.read_idx(tmp_path / "array.idx")
    assert read.dtype == np.dtype(dtype) and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


@pytest.mark.parametrize("name", ["images", "images.gz"])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_tells_gzip_by_its_magic_bytes_not_the_name(tmp_path, name, compress):
    images = pixels(5)
    content = idx_bytes(images)
    (tmp_path / name).write_bytes(gzip.compress(content) if compress else content)
    read = datasets.read_idx(str(tmp_path / name))
    assert read.shape == (5, 28, 28) and read.dtype == np.uint8
    np.testing.assert_array_equal(read, images)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(("change", "problem", "found"), [
    (lambda content: content[:-1], "is truncated", 3935),
    (lambda content: content + b"\x00\x07", "has trailing bytes", 3938),
])
def test_read_idx_refuses_a_length_that_differs_from_the_header(tmp_path, compress, change,
                                                                problem, found):
    content = change(idx_bytes(np.zeros((5, 28, 28), np.uint8)))
    (tmp_path / "images").write_bytes(gzip.compress(content) if compress else content)
    where = r"images \(after gunzip\)" if compress else "images"
    message = (rf"{where} {problem}: .*shape "
               rf"\(5, 28, 28\) of uint8, which needs 3936 bytes \(16 header \+ 3920 data\), "
               rf"but the file holds {found} bytes")
    with pytest.raises(ValueError, match=message):
        datasets.read_idx(tmp_path / "images")


@pytest.mark.parametrize(("content", "message"), [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", r"not an IDX file: it starts with bytes 01 00"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", r"unknown type code 0x07; expected one of "
                                              r"0x08 \(uint8\)"),
    (b"\x00\x00\x08\x00", r"declares 0 dimensions"),
    (b"\x00\x00", r"holds 2 bytes, fewer than the 4 of an IDX magic"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x05\x00\x00", r"truncated: it declares 3 dimensions, "
                                                  r"whose header needs 16 bytes.* holds 10"),
    (gzip.compress(idx_bytes(pixels(2)))[:30], r"starts like a gzip file but cannot be "
                                               r"decompressed"),
])
def test_read_idx_refuses_what_is_not_idx(tmp_path, content, message):
    (tmp_path / "broken").write_bytes(content)
    with pytest.raises(ValueError, match=r"read_idx: .*broken.*" + message):
        datasets.read_idx(tmp_path / "broken")


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_fashion_mnist])
def test_mnist_loaders_return_keras_style_splits_from_raw_and_gzipped_files(tmp_path, loader):
    train_images, train_labels, test_images, test_labels = write_mnist_folder(tmp_path)
    (x_train, y_train), (x_test, y_test) = loader(str(tmp_path))
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (5, 28, 28), (5,), (3, 28, 28), (3,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    for read, written in zip((x_train, y_train, x_test, y_test),
                             (train_images, train_labels, test_images, test_labels), strict=True):
        np.testing.assert_array_equal(read, written)


def test_a_raw_file_is_preferred_to_its_gzipped_twin(tmp_path):
    write_mnist_folder(tmp_path, compressed=(False,) * 4)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    (x_train, _), _ = datasets.load_mnist(tmp_path)
    assert x_train.shape == (5, 28, 28)


def test_mnist_loader_refuses_image_and_label_counts_that_differ(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(digits(4)))
    with pytest.raises(ValueError, match=r"load_mnist: .*t10k-images-idx3-ubyte.gz holds 3 "
                                         r"images but .*t10k-labels-idx1-ubyte holds 4 labels"):
        datasets.load_mnist(tmp_path)


def test_mnist_loader_refuses_swapped_files(tmp_path):
    write_mnist_folder(tmp_path, compressed=(False,) * 4)
    images, labels = (tmp_path / name for name in MNIST_NAMES[:2])
    swapped = images.read_bytes()
    images.write_bytes(labels.read_bytes())
    labels.write_bytes(swapped)
    with pytest.raises(ValueError, match=r"load_fashion_mnist: .*train-images-idx3-ubyte "
                                         r"should hold uint8 values of shape \(n, rows, cols\), "
                                         r"got uint8 of shape \(5,\).*swapped"):
        datasets.load_fashion_mnist(tmp_path)


def test_missing_mnist_files_say_which_to_put_where_and_where_to_get_them(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as caught:
        datasets.load_mnist(tmp_path)
    message = str(caught.value)
    assert f"{tmp_path} lacks train-labels-idx1-ubyte (raw or .gz)" in message
    for name in MNIST_NAMES:
        assert f"{name}  or  {name}.gz" in message
    assert "yann.lecun.com/exdb/mnist" in message and "never downloads" in message


def test_a_missing_folder_is_named_with_the_fashion_mnist_source(tmp_path):
    with pytest.raises(OSError, match=r"load_fashion_mnist: there is no folder .*nowhere\. Put "
                                      r"the four Fashion-MNIST files(.|\n)*zalandoresearch"):
        datasets.load_fashion_mnist(tmp_path / "nowhere")


# ----- the bundled digits -----------------------------------------------------------------
def test_load_digits_is_the_fixed_stratified_split_of_the_bundled_images():
    (x_train, y_train), (x_test, y_test) = dl.datasets.load_digits()
    assert x_train.shape == (1347, 8, 8) and x_test.shape == (450, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64 and x_train.max() == 16
    per_digit = np.bincount(np.concatenate([y_train, y_test]))
    assert np.all(np.abs(np.bincount(y_test) - per_digit / 4) <= 1)
    (x_again, _), _ = dl.datasets.load_digits()
    np.testing.assert_array_equal(x_again, x_train)


# ----- generated sets: what every maker shares --------------------------------------------
MAKERS = {
    "spirals": (datasets.make_spirals, {"n_samples": 90, "n_classes": 3}, [(90, 2), (90,)]),
    "moons": (datasets.make_moons, {"n_samples": 40}, [(40, 2), (40,)]),
    "circles": (datasets.make_circles, {"n_samples": 40}, [(40, 2), (40,)]),
    "sine": (datasets.make_sine_windows, {"n_samples": 7, "window": 12, "horizon": 3},
             [(7, 12, 1), (7, 3)]),
    "adding": (datasets.make_adding_problem, {"n_samples": 7, "length": 9},
               [(7, 9, 2), (7, 1)]),
    "copy": (datasets.make_copy_task, {"n_samples": 7, "length": 4, "n_symbols": 3, "delay": 2},
             [(7, 11, 5), (7, 11)]),
}
LABEL_DTYPE = {"sine": np.float32, "adding": np.float32}


@pytest.mark.parametrize("name", MAKERS)
def test_makers_give_documented_shapes_and_dtypes(name):
    maker, options, shapes = MAKERS[name]
    x, y = maker(**options, seed=0)
    assert [x.shape, y.shape] == shapes
    assert x.dtype == np.float32 and y.dtype == LABEL_DTYPE.get(name, np.int64)


@pytest.mark.parametrize("name", MAKERS)
def test_makers_repeat_with_a_seed_and_differ_between_seeds(name):
    maker, options, _ = MAKERS[name]
    first, again, other = (maker(**options, seed=seed) for seed in (3, 3, 4))
    for array, same in zip(first, again, strict=True):
        np.testing.assert_array_equal(array, same)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("name", MAKERS)
def test_makers_without_a_seed_follow_dlcore_set_random_seed(name):
    maker, options, _ = MAKERS[name]
    dl.utils.set_random_seed(5)
    first = maker(**options)
    second = maker(**options)
    dl.utils.set_random_seed(5)
    np.testing.assert_array_equal(maker(**options)[0], first[0])
    assert not np.array_equal(first[0], second[0])


@pytest.mark.parametrize(("maker", "options", "error", "message"), [
    (datasets.make_spirals, {"n_classes": 1}, ValueError, r"make_spirals: n_classes must be "
                                                          r">= 2, got 1"),
    (datasets.make_spirals, {"n_samples": 2, "n_classes": 3}, ValueError,
     r"make_spirals: n_samples must be >= 3, got 2"),
    (datasets.make_spirals, {"noise": -0.1}, ValueError, r"noise must lie in \[0, inf\), got "
                                                         r"-0.1"),
    (datasets.make_spirals, {"noise": math.nan}, ValueError, r"noise must lie in"),
    (datasets.make_spirals, {"seed": -1}, ValueError, r"make_spirals: seed must be >= 0"),
    (datasets.make_moons, {"n_samples": 2.5}, TypeError, r"make_moons: n_samples must be an "
                                                         r"int, got float 2.5"),
    (datasets.make_moons, {"seed": "a"}, TypeError, r"make_moons: seed must be an int"),
    (datasets.make_moons, {"noise": "0.1"}, TypeError, r"noise must be a number, got str"),
    (datasets.make_circles, {"factor": 1.0}, ValueError, r"make_circles: factor must lie in "
                                                         r"\[0, 1\), got 1.0"),
    (datasets.make_circles, {"n_samples": 1}, ValueError, r"n_samples must be >= 2"),
    (datasets.make_sine_windows, {"window": 0}, ValueError, r"make_sine_windows: window must "
                                                            r"be >= 1, got 0"),
    (datasets.make_sine_windows, {"horizon": True}, TypeError, r"horizon must be an int, "
                                                               r"got bool"),
    (datasets.make_adding_problem, {"length": 1}, ValueError, r"make_adding_problem: length "
                                                              r"must be >= 2"),
    (datasets.make_copy_task, {"n_symbols": 1}, ValueError, r"make_copy_task: n_symbols must "
                                                            r"be >= 2"),
    (datasets.make_copy_task, {"delay": -1}, ValueError, r"delay must be >= 0, got -1"),
    (datasets.make_copy_task, {"n_samples": 0}, ValueError, r"n_samples must be >= 1, got 0"),
])
def test_makers_refuse_bad_arguments(maker, options, error, message):
    with pytest.raises(error, match=message):
        maker(**options)


# ----- 2-D sets ----------------------------------------------------------------------------
def test_spiral_classes_are_balanced_shuffled_and_on_their_own_arm():
    x, y = datasets.make_spirals(301, n_classes=3, noise=0.0, seed=0)
    np.testing.assert_array_equal(np.bincount(y), [101, 100, 100])
    assert len(set(y[-30:])) == 3
    radius = np.hypot(x[:, 0], x[:, 1])
    arm_angle = (np.arctan2(x[:, 1], x[:, 0]) - 2 * np.pi * radius) % (2 * np.pi)
    distance = np.abs(arm_angle - 2 * np.pi * y / 3)
    np.testing.assert_allclose(np.minimum(distance, 2 * np.pi - distance), 0, atol=1e-4)


def test_spiral_noise_moves_points_along_the_circle_of_their_radius():
    clean, labels = datasets.make_spirals(200, noise=0.0, seed=1)
    noisy, same_labels = datasets.make_spirals(200, noise=0.3, seed=1)
    np.testing.assert_array_equal(labels, same_labels)
    np.testing.assert_allclose(np.hypot(*noisy.T), np.hypot(*clean.T), atol=1e-6)
    assert np.abs(noisy - clean).max() > 0.1


def test_circles_lie_on_the_unit_circle_and_the_factor_circle():
    x, y = datasets.make_circles(100, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_array_equal(np.bincount(y), [50, 50])
    np.testing.assert_allclose(np.hypot(*x.T), np.where(y == 0, 1.0, 0.3), atol=1e-6)


def test_moons_are_two_balanced_half_circles():
    x, y = datasets.make_moons(101, noise=0.0, seed=0)
    np.testing.assert_array_equal(np.bincount(y), [50, 51])
    centre = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.hypot(*(x - centre).T), 1.0, atol=1e-6)
    assert np.all(x[y == 0, 1] >= -1e-6) and np.all(x[y == 1, 1] <= 0.5 + 1e-6)


def test_a_small_mlp_learns_the_moons():
    dl.utils.set_random_seed(0)
    x_train, y_train = datasets.make_moons(400, noise=0.1, seed=0)
    x_test, y_test = datasets.make_moons(200, noise=0.1, seed=1)
    model = Sequential([Dense(16, activation="relu", input_dim=2),
                        Dense(16, activation="relu"), Dense(2, activation="softmax")])
    model.compile(dl.optimizers.Adam(learning_rate=0.02), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.9


# ----- sequences ---------------------------------------------------------------------------
def test_sine_windows_continue_one_sinusoid_into_the_targets():
    x, y = datasets.make_sine_windows(50, window=10, horizon=4, noise=0.0, seed=0)
    series = np.concatenate([x[:, :, 0], y], axis=1).astype(np.float64)
    # a sinusoid obeys s[t+1] + s[t-1] = 2 cos(2 pi f) s[t] at every step
    previous, current, following = series[:, :-2], series[:, 1:-1], series[:, 2:]
    twice_cosine = (np.sum((previous + following) * current, axis=1)
                    / np.sum(current * current, axis=1))
    np.testing.assert_allclose(previous + following, twice_cosine[:, None] * current, atol=1e-5)
    frequency = np.arccos(twice_cosine / 2) / (2 * np.pi)
    assert np.all((frequency > 1 / 50 - 1e-4) & (frequency < 1 / 10 + 1e-4))
    assert np.abs(series).max() <= 1


def test_sine_window_noise_has_the_requested_spread():
    clean = datasets.make_sine_windows(400, noise=0.0, seed=2)
    noisy = datasets.make_sine_windows(400, noise=0.2, seed=2)
    spreads = [np.std(n - c) for n, c in zip(noisy, clean, strict=True)]
    np.testing.assert_allclose(spreads, 0.2, rtol=0.1)


def test_adding_problem_targets_are_the_sums_of_the_two_marked_values():
    x, y = datasets.make_adding_problem(500, length=11, seed=0)
    values, markers = x[..., 0], x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers[:, :5].sum(axis=1), 1)
    np.testing.assert_array_equal(markers[:, 5:].sum(axis=1), 1)
    assert values.min() >= 0 and values.max() <= 1
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), rtol=1e-6)


def test_adding_problem_baseline_is_one_sixth():
    _, y = datasets.make_adding_problem(20000, length=4, seed=0)
    assert np.mean((y - 1) ** 2) == pytest.approx(1 / 6, abs=0.01)


def test_copy_task_targets_repeat_the_symbols_after_the_go_marker():
    length, n_symbols, delay = 5, 4, 3
    x, y = datasets.make_copy_task(20, length=length, n_symbols=n_symbols, delay=delay,
                                   seed=0)
    blank, go = n_symbols, n_symbols + 1
    np.testing.assert_array_equal(x.sum(axis=-1), 1)
    inputs = x.argmax(axis=-1)
    symbols = inputs[:, :length]
    assert symbols.max() < n_symbols
    np.testing.assert_array_equal(inputs[:, length:length + delay], blank)
    np.testing.assert_array_equal(inputs[:, length + delay], go)
    np.testing.assert_array_equal(inputs[:, length + delay + 1:], blank)
    np.testing.assert_array_equal(y[:, -length:], symbols)
    np.testing.assert_array_equal(y[:, :-length], blank)


def test_copy_task_chance_level_is_the_documented_loss():
    length, n_symbols = 10, 8
    x, y = datasets.make_copy_task(50, seed=0)
    steps = x.shape[1]
    memoryless = np.zeros((50, steps, n_symbols + 1), np.float32)
    memoryless[:, :-length, n_symbols] = 1
    memoryless[:, -length:, :n_symbols] = 1 / n_symbols
    loss = float(sparse_categorical_crossentropy(y, memoryless).data.mean())
    assert loss == pytest.approx(length * np.log(n_symbols) / steps, abs=1e-5)
    assert loss == pytest.approx(0.671, abs=1e-3)


def test_copy_task_fits_an_lstm_with_a_dense_softmax_per_step():
    dl.utils.set_random_seed(0)
    x, y = datasets.make_copy_task(32, length=3, n_symbols=4, delay=2, seed=0)
    model = Sequential([LSTM(8, return_sequences=True, input_shape=x.shape[1:]),
                        Dense(5, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    losses = [model.train_on_batch(x, y) for _ in range(5)]
    assert model.predict(x).shape == (32, 9, 5)
    assert losses[-1] < losses[0]


# ----- characters --------------------------------------------------------------------------
def test_char_dataset_windows_predict_the_next_character():
    text = "abracadabra"
    data = datasets.make_char_dataset(text, window=3, step=2)
    assert data.vocabulary == "abcdr" and data.vocabulary_size == 5
    assert data.x.shape == (4, 3) and data.y.shape == (4,)
    assert data.x.dtype == np.int64 and data.y.dtype == np.int64
    for j, start in enumerate(range(0, 8, 2)):
        assert data.decode(data.x[j]) == text[start:start + 3]
        assert data.decode(data.y[j]) == text[start + 3]


def test_char_dataset_covers_every_window_with_step_one():
    text = "héllo, wörld ☃\nhéllo"
    data = datasets.make_char_dataset(text, window=4)
    assert len(data.y) == len(text) - 4
    assert data.decode(np.append(data.x[0], data.y)) == text
    np.testing.assert_array_equal(data.encode(text[2:9]), np.append(data.x[0], data.y)[2:9])


def test_char_dataset_encode_decode_round_trip():
    data = datasets.make_char_dataset("the quick brown fox jumps over the lazy dog", window=5)
    ids = data.encode("lazy fox")
    assert ids.dtype == np.int64 and data.decode(ids) == "lazy fox"
    assert data.decode(data.encode("")) == "" and data.decode(np.int64(1)) == "a"
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.vocabulary = "abc"


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda d: d.encode("cab!"), ValueError, r"CharDataset.encode: the character '!' "
                                             r"\(position 3\) is not in the vocabulary 'abc'"),
    (lambda d: d.encode(b"ab"), TypeError, r"CharDataset.encode expects a str, got bytes"),
    (lambda d: d.decode([0, 3]), ValueError, r"ids must lie in \[0, 3\), got ids from 0 to 3"),
    (lambda d: d.decode([-1]), ValueError, r"got ids from -1 to -1"),
    (lambda d: d.decode([0.0, 1.0]), TypeError, r"integer ids, got dtype float64.*argmax"),
    (lambda d: d.decode([[0, 1]]), ValueError, r"1-D array of ids, got shape \(1, 2\)"),
])
def test_char_dataset_refuses_what_it_cannot_translate(call, error, message):
    data = datasets.make_char_dataset("abcabc", window=2)
    with pytest.raises(error, match=message):
        call(data)


@pytest.mark.parametrize(("text", "options", "error", "message"), [
    ("short", {"window": 5}, ValueError, r"make_char_dataset: the text has 5 characters, but "
                                         r"one example needs window \+ 1 = 6"),
    (b"bytes", {}, TypeError, r"make_char_dataset expects the text as a str, got bytes"),
    ("some text", {"step": 0}, ValueError, r"make_char_dataset: step must be >= 1, got 0"),
    ("some text", {"window": 2.0}, TypeError, r"window must be an int, got float"),
])
def test_make_char_dataset_refuses_bad_arguments(text, options, error, message):
    with pytest.raises(error, match=message):
        datasets.make_char_dataset(text, **options)


def test_every_public_name_is_exported():
    assert sorted(datasets.__all__) == sorted(name for name in dir(datasets)
                                              if not name.startswith("_")
                                              and name not in {"bundled", "idx", "mnist",
                                                               "sequences", "synthetic",
                                                               "text"})
