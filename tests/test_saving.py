"""Saving and loading models: round trips, resumed training, atomic writes, refused files."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tracemalloc

import h5py
import numpy as np
import pytest

import dlcore
from dlcore import losses, saving, utils
from dlcore.layers import (
    LSTM,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    MaxPooling2D,
)
from dlcore.models import Sequential
from dlcore.optimizers import SGD, Adagrad, Adam, RMSprop


# ----- models -------------------------------------------------------------------------------
def dense_model():
    model = Sequential([Dense(8, activation="relu", input_shape=(5,)), Dropout(0.3),
                        BatchNormalization(), Dense(3, activation="softmax")])
    model.compile(Adam(learning_rate=0.01), "categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(1).normal(size=(24, 5)).astype(np.float32)
    return model, x, utils.to_categorical(np.arange(24) % 3, 3)


def conv_model():
    model = Sequential([Conv2D(3, 3, padding="same", activation="relu", input_shape=(6, 6, 2)),
                        MaxPooling2D(), BatchNormalization(), Flatten(),
                        Dense(2, activation="softmax")])
    model.compile(SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                  "sparse_categorical_crossentropy", metrics=["acc"])
    x = np.random.default_rng(2).normal(size=(16, 6, 6, 2)).astype(np.float32)
    return model, x, np.arange(16) % 2


def lstm_model():
    model = Sequential([Embedding(12, 4, input_length=5), LSTM(3),
                        Dense(1, activation="sigmoid")])
    model.compile(RMSprop(learning_rate=0.01), "binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(3).integers(0, 12, size=(16, 5))
    return model, x, (np.arange(16) % 2).astype(np.float32).reshape(16, 1)


def built_by_fit_model():
    """No input shape: the model is built by its first batch (saved as build_config)."""
    model = Sequential([Dense(4, activation="tanh"), Dense(1)])
    model.compile(Adagrad(learning_rate=0.1), "mse")
    x = np.random.default_rng(4).normal(size=(16, 3))
    return model, x, x.sum(axis=1, keepdims=True)


def plain_sgd_model():
    """SGD without momentum keeps no slot arrays, only its iteration count."""
    model = Sequential([Dense(2, input_dim=3)])
    model.compile("sgd", "mae")
    x = np.random.default_rng(5).normal(size=(16, 3)).astype(np.float32)
    return model, x, x[:, :2]


MODELS = [dense_model, conv_model, lstm_model, built_by_fit_model, plain_sgd_model]


def trained(make=dense_model):
    utils.clear_session()
    utils.set_random_seed(0)
    model, x, y = make()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    return model, x, y


def saved(tmp_path, make=dense_model):
    """A trained model saved to ``tmp_path / 'model.h5'``: (path, model, x, y)."""
    model, x, y = trained(make)
    path = tmp_path / "model.h5"
    model.save(path)
    return path, model, x, y


def edit(path, change):
    with h5py.File(path, "r+") as file:
        change(file)


def set_json(file, name, value):
    file.attrs[name] = np.bytes_(json.dumps(value).encode())


def model_config(path):
    with h5py.File(path, "r") as file:
        return json.loads(file.attrs["model_config"])


def replace(file, name, node):
    del file[name]
    file[name] = node


# ----- round trips --------------------------------------------------------------------------
@pytest.mark.parametrize("make", MODELS)
def test_loaded_model_predicts_bit_identically(tmp_path, make):
    path, model, x, _ = saved(tmp_path, make)
    loaded = saving.load_model(path)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert loaded.get_config() == model.get_config()
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for mine, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)


@pytest.mark.parametrize("make", MODELS)
def test_optimizer_state_is_restored(tmp_path, make):
    path, model, _, _ = saved(tmp_path, make)
    loaded = saving.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations > 0
    assert losses.name_of(loaded.loss) == losses.name_of(model.loss)
    assert loaded.metrics_names == model.metrics_names
    state = model.optimizer.get_state(model.trainable_weights)
    restored = loaded.optimizer.get_state(loaded.trainable_weights)
    assert len(restored) == len(state)
    for mine, theirs in zip(restored, state, strict=True):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)


@pytest.mark.parametrize("make", MODELS)
def test_training_goes_on_exactly_as_in_the_original(tmp_path, make):
    path, model, x, y = saved(tmp_path, make)
    loaded = saving.load_model(path)
    utils.set_random_seed(7)
    expected = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    utils.set_random_seed(7)
    history = loaded.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    assert history == expected
    for mine, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)


def test_file_layout(tmp_path):
    path, model, _, _ = saved(tmp_path)
    with h5py.File(path, "r") as file:
        assert file.attrs["format"] == b"dlcore-model" and file.attrs["format_version"] == 1
        assert file.attrs["dlcore_version"].decode() == dlcore.__version__
        config = json.loads(file.attrs["model_config"])
        assert config == {"class_name": "Sequential", "config": model.get_config(),
                          "build_config": {"input_shape": [None, 5]}}
        training = json.loads(file.attrs["training_config"])
        assert training == {"optimizer": {"class_name": "Adam",
                                          "config": model.optimizer.get_config()},
                            "loss": "categorical_crossentropy", "metrics": ["accuracy"]}
        weights = file["model_weights"]
        assert json.loads(weights.attrs["layer_names"]) == [
            "dense", "dropout", "batch_normalization", "dense_1"]
        assert json.loads(weights["dense"].attrs["weight_names"]) == ["dense/kernel",
                                                                       "dense/bias"]
        assert json.loads(weights["dropout"].attrs["weight_names"]) == []
        assert np.array_equal(weights["batch_normalization/moving_variance"][()],
                              model.layers[2].get_weights()[3])
        labels = json.loads(file["optimizer_weights"].attrs["weight_names"])
        assert labels[:3] == ["iterations", "dense/kernel/m", "dense/kernel/v"]
        assert len(labels) == len(file["optimizer_weights"]) == 1 + 2 * 6
        assert file["optimizer_weights/0"][()] == model.optimizer.iterations


def test_config_larger_than_an_hdf5_header_attribute(tmp_path):
    utils.set_random_seed(0)
    model = Sequential([Dense(2, input_shape=(3,))], name="m" * 100_000)
    model.save(tmp_path / "model.h5")
    assert saving.load_model(tmp_path / "model.h5").name == model.name


def test_save_accepts_strings_and_path_objects(tmp_path):
    model, x, _ = trained()
    saving.save_model(model, str(tmp_path / "a.h5"))
    model.save(tmp_path / "b.h5")
    for name in ("a.h5", "b.h5"):
        assert np.array_equal(saving.load_model(str(tmp_path / name)).predict(x), model.predict(x))


def test_without_optimizer_state_the_model_compiles_with_a_fresh_optimizer(tmp_path):
    model, x, _ = trained()
    model.save(tmp_path / "model.h5", include_optimizer=False)
    with h5py.File(tmp_path / "model.h5", "r") as file:
        assert "optimizer_weights" not in file and "training_config" in file.attrs
    loaded = saving.load_model(tmp_path / "model.h5")
    assert isinstance(loaded.optimizer, Adam) and loaded.optimizer.iterations == 0
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_compile_false_gives_an_uncompiled_model(tmp_path):
    path, model, x, _ = saved(tmp_path)
    loaded = saving.load_model(path, compile=False)
    assert loaded.optimizer is None and loaded.loss is None
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_uncompiled_model_round_trip(tmp_path):
    utils.set_random_seed(0)
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.save(tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5", "r") as file:
        assert "training_config" not in file.attrs and "optimizer_weights" not in file
    loaded = saving.load_model(tmp_path / "model.h5")
    assert loaded.optimizer is None
    x = np.ones((2, 2), np.float32)
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_unbuilt_model_round_trip(tmp_path):
    model = Sequential([Dense(3), Dropout(0.5)], name="plan")
    model.compile("rmsprop", "mse")
    model.save(tmp_path / "model.h5")
    loaded = saving.load_model(tmp_path / "model.h5")
    assert not loaded.built and loaded.name == "plan"
    assert loaded.get_config() == model.get_config()


def test_float64_model_round_trip(tmp_path):
    utils.set_random_seed(0)
    model = Sequential([Dense(3, input_shape=(2,), dtype="float64")])
    model.save(tmp_path / "model.h5")
    loaded = saving.load_model(tmp_path / "model.h5")
    assert loaded.get_weights()[0].dtype == np.float64
    assert np.array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_frozen_layer_stays_frozen_and_its_state_matches(tmp_path):
    utils.set_random_seed(0)
    model, x, y = dense_model()
    model.layers[0].trainable = False
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "model.h5")
    loaded = saving.load_model(tmp_path / "model.h5")
    assert not loaded.layers[0].trainable
    assert len(loaded.trainable_weights) == len(model.trainable_weights)
    utils.set_random_seed(3)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    utils.set_random_seed(3)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for mine, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)


def test_unnamed_loss_warns_and_saves_without_training_config(tmp_path):
    model, x, y = dense_model()

    def my_loss(y_true, y_pred):
        return losses.mean_squared_error(y_true, y_pred)

    model.compile("adam", my_loss)
    with pytest.warns(UserWarning, match="my_loss.*load_model will return the model uncompiled"):
        model.save(tmp_path / "model.h5")
    loaded = saving.load_model(tmp_path / "model.h5")
    assert loaded.optimizer is None
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_metric_function_warns_and_saves_without_training_config(tmp_path):
    model, _, _ = dense_model()
    model.compile("adam", "mse", metrics=[lambda y_true, y_pred: y_pred])
    with pytest.warns(UserWarning, match="metrics .* are functions"):
        model.save(tmp_path / "model.h5")
    assert saving.load_model(tmp_path / "model.h5").optimizer is None


# ----- weights only -------------------------------------------------------------------------
def test_weights_round_trip_into_a_fresh_model_with_other_names(tmp_path):
    model, x, _ = trained()
    saving.save_weights(model, tmp_path / "weights.h5")
    fresh, _, _ = dense_model()
    assert fresh.layers[0].name != model.layers[0].name
    saving.load_weights(fresh, tmp_path / "weights.h5")
    assert np.array_equal(fresh.predict(x), model.predict(x))


def test_load_weights_reads_a_whole_model_file(tmp_path):
    path, model, x, _ = saved(tmp_path)
    fresh, _, _ = dense_model()
    saving.load_weights(fresh, path)
    assert np.array_equal(fresh.predict(x), model.predict(x))


def test_load_weights_into_another_architecture_changes_nothing(tmp_path):
    path, _, _, _ = saved(tmp_path)
    other = Sequential([Dense(8, input_shape=(5,)), Dense(4)])
    with pytest.raises(ValueError, match=r"holds weights for 3 layers .* model has 2 layers"):
        saving.load_weights(other, path)
    other = Sequential([Dense(8, input_shape=(5,)), BatchNormalization(), Dense(4)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"weight 'dense_\d+/kernel'.* shape \(8, 3\) in the "
                                         r"file.* model's weight has shape \(8, 4\)"):
        saving.load_weights(other, path)
    for mine, theirs in zip(other.get_weights(), before, strict=True):
        assert np.array_equal(mine, theirs)


def test_load_weights_needs_a_built_model(tmp_path):
    path, _, _, _ = saved(tmp_path)
    with pytest.raises(ValueError, match="load_weights: the model .* is not built yet"):
        saving.load_weights(Sequential([Dense(3)]), path)
    with pytest.raises(ValueError, match="save_weights: the model .* is not built yet"):
        saving.save_weights(Sequential([Dense(3)]), tmp_path / "w.h5")


def test_load_model_explains_a_weights_file(tmp_path):
    model, _, _ = trained()
    saving.save_weights(model, tmp_path / "weights.h5")
    with pytest.raises(ValueError, match="format 'dlcore-weights'.*only weights.*load_weights"):
        saving.load_model(tmp_path / "weights.h5")


def test_only_sequential_models(tmp_path):
    with pytest.raises(TypeError, match="save_model saves and loads dlcore Sequential models, "
                                        "got list"):
        saving.save_model([Dense(1)], tmp_path / "model.h5")


# ----- writing safely -----------------------------------------------------------------------
def test_overwrite_false_refuses_an_existing_file(tmp_path):
    path, model, _, _ = saved(tmp_path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="model.h5 already exists and overwrite=False"):
        model.save(path, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        saving.save_weights(model, path, overwrite=False)
    assert path.read_bytes() == before
    model.save(tmp_path / "new.h5", overwrite=False)
    assert (tmp_path / "new.h5").exists()


def fail_on_third_dataset(monkeypatch):
    create = h5py.Group.create_dataset
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return create(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing)


def fail_in_get_weights(monkeypatch, model):
    def failing():
        raise RuntimeError("disk full")

    monkeypatch.setattr(model.layers[-1], "get_weights", failing)


@pytest.mark.parametrize("break_it", [fail_on_third_dataset, fail_in_get_weights])
def test_failed_save_leaves_the_previous_file_and_no_temporary_file(tmp_path, monkeypatch,
                                                                    break_it):
    path, model, x, y = saved(tmp_path)
    expected = model.predict(x)
    before = path.read_bytes()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    if break_it is fail_on_third_dataset:
        break_it(monkeypatch)
    else:
        break_it(monkeypatch, model)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.h5"]
    assert np.array_equal(saving.load_model(path).predict(x), expected)


def test_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    model, _, _ = trained()
    fail_on_third_dataset(monkeypatch)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(tmp_path / "model.h5")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_the_usual_permissions(tmp_path):
    model, _, _ = trained()
    model.save(tmp_path / "model.h5")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "model.h5").st_mode) == 0o666 & ~umask
    os.chmod(tmp_path / "model.h5", 0o640)
    model.save(tmp_path / "model.h5")
    assert stat.S_IMODE(os.stat(tmp_path / "model.h5").st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_saving_through_a_symbolic_link_replaces_the_file_it_names(tmp_path):
    model, x, _ = trained()
    (tmp_path / "runs").mkdir()
    (tmp_path / "latest.h5").symlink_to(tmp_path / "runs" / "model.h5")
    model.save(tmp_path / "latest.h5")
    model.save(tmp_path / "latest.h5")
    assert os.path.islink(tmp_path / "latest.h5")
    assert os.listdir(tmp_path / "runs") == ["model.h5"]
    assert np.array_equal(saving.load_model(tmp_path / "latest.h5").predict(x), model.predict(x))


def test_save_into_a_missing_folder_or_onto_a_folder(tmp_path):
    model, _, _ = trained()
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        model.save(tmp_path / "nowhere" / "model.h5")
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        model.save(tmp_path)


def test_save_into_a_folder_without_write_permission(tmp_path, monkeypatch):
    model, _, _ = trained()

    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(saving.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match="cannot save to .*model.h5: no permission to "
                                              "create files in"):
        model.save(tmp_path / "model.h5")


def test_layer_name_that_is_not_an_hdf5_name_is_refused_on_save(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,), name="block1/dense")])
    with pytest.raises(ValueError, match="layer name 'block1/dense' cannot name an HDF5 group"):
        model.save(tmp_path / "model.h5")
    assert os.listdir(tmp_path) == []


def test_config_that_is_not_plain_json_is_refused_on_save(tmp_path, monkeypatch):
    model, _, _ = trained()
    layer = model.layers[1]
    monkeypatch.setattr(layer, "get_config", lambda: {"name": layer.name, "rate": np.int64(1)})
    with pytest.raises(TypeError, match=r"\['layers'\]\[1\]\['config'\]\['rate'\] is a int64"):
        model.save(tmp_path / "model.h5")
    monkeypatch.setattr(layer, "get_config", lambda: {"name": layer.name, "rate": float("nan")})
    with pytest.raises(ValueError, match=r"\['rate'\] is nan; a saved config holds finite"):
        model.save(tmp_path / "model.h5")
    assert os.listdir(tmp_path) == []


# ----- files that are not (valid) dlcore models ---------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.h5"):
        saving.load_model(tmp_path / "missing.h5")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        saving.load_model(tmp_path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    with pytest.raises(OSError, match=r"noise.h5 is not a dlcore model file: it is not an HDF5 "
                                      r"file, or it is damaged \(5000 bytes"):
        saving.load_model(path)


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path, fraction):
    path, _, _, _ = saved(tmp_path)
    data = path.read_bytes()
    cut = int(len(data) * fraction)
    copy = tmp_path / "cut.h5"
    copy.write_bytes(data[:cut])
    message = (f"truncated at {cut} of {len(data)} bytes" if cut >= 100 else
               "not an HDF5 file, or it is damaged")
    with pytest.raises(OSError, match=f"cut.h5 is not a dlcore model file: it is {message}"):
        saving.load_model(copy)


def test_foreign_hdf5_file(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["data"] = np.arange(3)
    with pytest.raises(ValueError, match=r"other.h5 is an HDF5 file but not a dlcore model "
                                         r"\(no 'format' attribute"):
        saving.load_model(path)
    with h5py.File(path, "a") as file:
        file.attrs["keras_version"] = "2.2.4"
    with pytest.raises(ValueError, match="looks like a Keras file"):
        saving.load_model(path)
    with h5py.File(path, "a") as file:
        file.attrs["format"] = "dlcore-model"
    with pytest.raises(ValueError, match="attribute 'format' of / is stored as object"):
        saving.load_model(path)


def test_newer_format_version(tmp_path):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: file.attrs.__setitem__("format_version", np.int64(99)))
    with pytest.raises(ValueError, match="format version 99; this dlcore reads versions 1 to 1"):
        saving.load_model(path)


def test_custom_objects_are_refused(tmp_path):
    path, _, _, _ = saved(tmp_path)
    with pytest.raises(ValueError, match="custom_objects is not supported; dlcore rebuilds only "
                                         "its own layers"):
        saving.load_model(path, custom_objects={"Lambda": object})
    saving.load_model(path, safe_mode=False)


@pytest.mark.parametrize("dataset, shape, dtype", [
    ("model_weights/dense/kernel", (5, 9), "float32"),
    ("model_weights/dense/kernel", (5, 8), "float64"),
    ("model_weights/dense/bias", (), "int64"),
])
def test_dataset_with_the_wrong_shape_or_dtype(tmp_path, dataset, shape, dtype):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: replace(file, dataset, np.zeros(shape, dtype)))
    problem = f"has shape {shape}" if dtype == "float32" else f"is stored as {dtype}"
    match = re.escape(f"layer 'dense', weight '{dataset.split('/', 1)[1]}' {problem}")
    with pytest.raises(ValueError, match=match):
        saving.load_model(path)


def test_optimizer_state_with_the_wrong_shape_or_labels(tmp_path):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: replace(file, "optimizer_weights/1", np.zeros((5, 7), np.float32)))
    with pytest.raises(ValueError, match=r"optimizer state 'dense/kernel/m' has shape \(5, 7\)"):
        saving.load_model(path)
    saving.load_model(path, compile=False)
    edit(path, lambda file: set_json(file["optimizer_weights"], "weight_names", ["iterations"]))
    with pytest.raises(ValueError, match=r"optimizer state holds \['iterations'\], but Adam"):
        saving.load_model(path)


def test_negative_iteration_count_is_refused(tmp_path):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: replace(file, "optimizer_weights/0", np.int64(-4)))
    with pytest.raises(ValueError, match="optimizer state cannot be restored.*non-negative"):
        saving.load_model(path)


@pytest.mark.parametrize("class_name", ["os.system", "Lambda", "builtins.eval", "__import__",
                                        "subprocess.Popen", "dlcore.layers.core.Dense"])
def test_unknown_layer_class_is_refused_without_importing_anything(tmp_path, monkeypatch,
                                                                   class_name):
    path, _, _, _ = saved(tmp_path)
    saving.load_model(path)
    config = model_config(path)
    config["config"]["layers"][1] = {"module": "os", "class_name": class_name,
                                     "config": {"command": f"touch {tmp_path / 'owned'}"}}
    edit(path, lambda file: set_json(file, "model_config", config))
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))
    modules = set(sys.modules)
    with pytest.raises(ValueError, match=f"layer 1 of model_config names the class "
                                         f"'{class_name}', which is not a dlcore layer"):
        saving.load_model(path)
    assert set(sys.modules) == modules
    assert calls == [] and not (tmp_path / "owned").exists()


@pytest.mark.parametrize("class_name", ["os.system", "Lambda", "Optimizer"])
def test_unknown_optimizer_class_is_refused(tmp_path, class_name):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: set_json(file, "training_config", {
        "optimizer": {"class_name": class_name, "config": {}}, "loss": "mse", "metrics": []}))
    modules = set(sys.modules)
    with pytest.raises(ValueError, match=f"names the optimizer '{class_name}', which is not a "
                                         "dlcore optimizer"):
        saving.load_model(path)
    assert set(sys.modules) == modules
    saving.load_model(path, compile=False)


@pytest.mark.parametrize("change, match", [
    (lambda config: config.update(class_name="Functional"), "loads only 'Sequential' models"),
    (lambda config: config["config"].update(layers={"0": 1}), r"\['layers'\] must be a list"),
    (lambda config: config["config"]["layers"].append(["Dense"]), "layer 4 .* must be a dict"),
    (lambda config: config["config"]["layers"][0]["config"].update(units=-3),
     "cannot be rebuilt: .*units"),
    (lambda config: config["config"]["layers"][0]["config"].update(evil="os.system"),
     "cannot be rebuilt: .*unexpected keyword"),
    (lambda config: config["config"]["layers"][0]["config"].update(activation={"a": 1}),
     "cannot be rebuilt"),
    (lambda config: config.update(build_config={"input_shape": [None, 10**12]}),
     r"input_shape'\] must be a shape"),
    (lambda config: config["config"]["layers"][0]["config"].update(dtype="V1000000000"),
     "layer 0 of model_config has dtype 'V1000000000'; dlcore layers hold float16"),
])
def test_malformed_model_config(tmp_path, change, match):
    path, _, _, _ = saved(tmp_path)
    config = model_config(path)
    change(config)
    edit(path, lambda file: set_json(file, "model_config", config))
    with pytest.raises(ValueError, match=match):
        saving.load_model(path)


@pytest.mark.parametrize("text, match", [
    (b'{"class_name": NaN}', "not plain JSON: NaN is not a JSON number"),
    (b'{"a": 1e999}', "not plain JSON: 1e999 is too large"),
    (b'{"a": 1, "a": 2}', r"not plain JSON: repeated keys \['a'\]"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"{'single': 'quotes'}", "not plain JSON"),
])
def test_model_config_that_is_not_plain_json(tmp_path, text, match):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: file.attrs.__setitem__("model_config", np.bytes_(text)))
    with pytest.raises(ValueError, match=match):
        saving.load_model(path)


def test_oversized_or_oddly_stored_attribute_is_refused_unread(tmp_path, monkeypatch):
    path, _, _, _ = saved(tmp_path)
    monkeypatch.setattr(saving, "MAX_TEXT_BYTES", 100)
    with pytest.raises(ValueError, match="'model_config' of / declares .* bytes, more than the "
                                         "100"):
        saving.load_model(path)
    monkeypatch.undo()
    edit(path, lambda file: file.attrs.__setitem__("model_config", np.zeros(10**4, "S1")))
    with pytest.raises(ValueError, match=r"stored as \|S1 of shape \(10000,\)"):
        saving.load_model(path)


def test_soft_and_external_links_are_refused(tmp_path):
    path, _, _, _ = saved(tmp_path)
    edit(path, lambda file: replace(file, "model_weights/dense/kernel",
                                    h5py.SoftLink("/model_weights/dense_1/kernel")))
    with pytest.raises(ValueError, match=r"dense/kernel is a link \(SoftLink\); .* Refusing"):
        saving.load_model(path)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as file:
        file["kernel"] = np.zeros((5, 8), np.float32)
    edit(path, lambda file: replace(file, "model_weights/dense/kernel",
                                    h5py.ExternalLink(str(other), "/kernel")))
    with pytest.raises(ValueError, match=r"dense/kernel is a link \(ExternalLink\)"):
        saving.load_model(path)
    edit(path, lambda file: replace(file, "model_weights/dense",
                                    h5py.ExternalLink(str(other), "/")))
    with pytest.raises(ValueError, match=r"model_weights/dense is a link \(ExternalLink\)"):
        saving.load_model(path)


def test_virtual_and_externally_stored_datasets_are_refused(tmp_path):
    path, _, _, _ = saved(tmp_path)
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as file:
        file["kernel"] = np.ones((5, 8), np.float32)
    layout = h5py.VirtualLayout(shape=(5, 8), dtype="float32")
    layout[...] = h5py.VirtualSource(str(source), "kernel", shape=(5, 8))

    def virtual(file):
        del file["model_weights/dense/kernel"]
        file.create_virtual_dataset("model_weights/dense/kernel", layout)

    edit(path, virtual)
    with pytest.raises(ValueError, match="dense/kernel is a virtual dataset"):
        saving.load_model(path)
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.ones((5, 8), np.float32).tobytes())

    def external(file):
        del file["model_weights/dense/kernel"]
        file.create_dataset("model_weights/dense/kernel", shape=(5, 8), dtype="float32",
                            external=[(str(raw), 0, 160)])

    edit(path, external)
    with pytest.raises(ValueError, match="dense/kernel is stored in external files"):
        saving.load_model(path)


def test_huge_declared_shape_is_refused_without_allocating(tmp_path):
    path, _, _, _ = saved(tmp_path)

    def huge(file):
        del file["model_weights/dense/kernel"]
        file.create_dataset("model_weights/dense/kernel", shape=(10**9, 8), dtype="float32")

    edit(path, huge)
    assert os.path.getsize(path) < 10**6
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"has shape \(1000000000, 8\) in the file"):
        saving.load_model(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20


def test_dataset_without_stored_data_is_refused(tmp_path):
    path, _, _, _ = saved(tmp_path)

    def unwritten(file):
        del file["model_weights/dense/kernel"]
        file.create_dataset("model_weights/dense/kernel", shape=(5, 8), dtype="float32")

    edit(path, unwritten)
    with pytest.raises(ValueError, match="dense/kernel' is not stored as dlcore writes it "
                                         r"\(declares 160 bytes, 0 stored"):
        saving.load_model(path)


def test_missing_or_misplaced_weights(tmp_path):
    path, _, _, _ = saved(tmp_path)
    copy = tmp_path / "copy.h5"
    copy.write_bytes(path.read_bytes())
    edit(copy, lambda file: file.__delitem__("model_weights"))
    with pytest.raises(ValueError, match="copy.h5: /model_weights is missing"):
        saving.load_model(copy)
    edit(copy, lambda file: file.attrs.__delitem__("model_config"))
    with pytest.raises(ValueError, match="the 'model_config' attribute is missing"):
        saving.load_model(copy)
    edit(path, lambda file: file.__delitem__("model_weights/dense_1/bias"))
    with pytest.raises(ValueError, match="/model_weights/dense_1/bias is missing"):
        saving.load_model(path)
    edit(path, lambda file: set_json(file["model_weights"], "layer_names", ["../dense"]))
    with pytest.raises(ValueError, match=r"'\.\./dense' is not a plain HDF5 path"):
        saving.load_model(path)
    edit(path, lambda file: set_json(file["model_weights"], "layer_names", "dense"))
    with pytest.raises(ValueError, match="layer_names must be a list, got str"):
        saving.load_model(path)
