"""Model files under crashes and hostile edits.

A process killed (SIGKILL) in the middle of ``model.save`` or of a ``ModelCheckpoint``
save never costs the previous file: afterwards the file holds the old model or the new
one, complete, and predicts exactly as that model did. Damaged and crafted files give an
``OSError`` or ``ValueError`` naming the file, import nothing and allocate little.

Temporary files: ``save`` writes ``.<name>.<random>.tmp`` beside the target, syncs it and
renames it onto the target. A SIGKILL runs no clean-up, so a save it interrupts leaves that
hidden ``.tmp`` file behind: it never replaces or shadows the model (``load_model`` never
reads it, and it does not end in ``.h5``), but such files accumulate, one per interrupted
save, until deleted by hand.

tests/test_saving.py has one case of each kind of damage and tests/test_saving_fuzz.py
random byte flips and config edits; here: truncation at hundreds of offsets, flips swept
across the metadata and into each dataset, a wrong dtype or shape in every dataset, every
config field that could name code, links of every kind, files of other formats, and
declared sizes that would need large allocations.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import pickle
import random
import re
import signal
import sys
import threading
import time
import tracemalloc
import zipfile
from functools import partial

import h5py
import numpy as np
import pytest

from dlcore import saving
from dlcore.callbacks import Callback
from tests._reliability import (
    CHECKPOINT_BATCH,
    checkpoint_data,
    checkpoint_model,
    checkpointed_fit,
    copy_versions_in_place,
    large_model,
    save_versions,
    version_in,
    version_weights,
)
from tests.test_saving import conv_model, edit, model_config, replace, saved, set_json

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL, fork server, named pipes")

CONTEXT = multiprocessing.get_context("forkserver") if os.name == "posix" else None
if CONTEXT is not None:
    CONTEXT.set_forkserver_preload(["tests._reliability"])
KILLS = 50
ALLOCATION_LIMIT = 8 * 2**20  # bytes a refused file may make the loader allocate
CANARY = "reliability_canary"


# ----- killing a process while it saves ------------------------------------------------------
def start_and_kill(target, path, delay: float) -> int:
    """Run ``target(path, started, saved)`` in a child process and SIGKILL it ``delay``
    seconds after it started; return ``saved.value`` as the child left it."""
    started, saved = CONTEXT.Event(), CONTEXT.Value("q", 0)
    child = CONTEXT.Process(target=target, args=(str(path), started, saved), daemon=True)
    child.start()
    try:
        deadline = time.monotonic() + 120
        while not started.wait(0.05):
            assert child.is_alive(), f"the child process failed ({child.exitcode})"
            assert time.monotonic() < deadline, "the child process never started"
        time.sleep(delay)
    finally:
        child.kill()
        child.join()
    assert child.exitcode == -signal.SIGKILL, f"the child ended by itself ({child.exitcode})"
    return saved.value


def remove_temporary_files(folder, model_name: str) -> int:
    """Check that every other file in ``folder`` is a hidden temporary file of ``save``,
    delete them, and say how many there were."""
    others = sorted(set(os.listdir(folder)) - {model_name})
    for name in others:
        assert re.fullmatch(rf"\.{re.escape(model_name)}\.\w+\.tmp", name), name
        os.remove(folder / name)
    return len(others)


def kill_repeatedly(path, next_child, check, seed: int, record_property) -> None:
    """Start ``next_child()`` and SIGKILL it at a random point, ``KILLS`` times; after each
    kill the file at ``path`` must load, and ``check(kill, loaded model, saved)`` holds.

    Records the kills, how many the file survived, how many landed inside a save (a
    temporary file was left) and the bytes of good files that could not be loaded."""
    rng = random.Random(seed)
    interrupted, bytes_lost, losses = 0, 0, []
    for kill in range(KILLS):
        good_bytes = path.stat().st_size
        saved = start_and_kill(next_child(), path, rng.uniform(0, 0.15))
        interrupted += remove_temporary_files(path.parent, path.name)
        try:
            loaded = saving.load_model(path)
        except (OSError, ValueError) as error:
            bytes_lost += good_bytes
            losses.append(f"kill {kill}: {error}")
            continue
        check(kill, loaded, saved)
    record_property("kills", KILLS)
    record_property("kills_survived", KILLS - len(losses))
    record_property("interrupted_saves", interrupted)
    record_property("bytes_lost", bytes_lost)
    assert losses == [] and bytes_lost == 0
    assert interrupted >= KILLS // 5, "too few kills landed inside a save to show anything"


def test_kill_during_save_leaves_the_old_or_the_new_model_complete(tmp_path, record_property):
    path = tmp_path / "model.h5"
    reference = large_model()
    x = np.random.default_rng(0).standard_normal((8, 64)).astype(np.float32)
    reference.set_weights(version_weights(reference, 0))
    reference.save(path)
    latest = [0]  # the version in the file

    def check(kill, loaded, saved):
        weights = loaded.get_weights()
        version = version_in(weights)
        complete = max(saved, latest[0])  # the child saves latest + 1, latest + 2, ...
        assert complete <= version <= complete + 1, (kill, saved, version)
        reference.set_weights(version_weights(reference, version))
        for mine, expected in zip(weights, reference.get_weights(), strict=True):
            assert np.array_equal(mine, expected)
        assert np.array_equal(loaded.predict(x), reference.predict(x))
        latest[0] = version

    kill_repeatedly(path, lambda: partial(save_versions, first=latest[0] + 1), check, 1,
                    record_property)


def test_kill_while_rewriting_a_file_in_place_does_destroy_it(tmp_path):
    """The control: the same kills against a writer without a temporary file and a rename
    leave an unreadable file, so the test above can fail."""
    rng = random.Random(2)
    path = tmp_path / "model.h5"
    version = 0
    for _ in range(20):
        saved = start_and_kill(partial(copy_versions_in_place, first=version + 1), path,
                               rng.uniform(0.05, 0.2))
        try:
            version = version_in(saving.load_model(path).get_weights())
        except OSError as error:
            assert "model.h5 is not a dlcore model file" in str(error)
            return
        assert version >= saved
    pytest.fail("20 kills of an in-place writer never left a damaged file")


REFERENCE_EPOCHS = 80  # more than a child trains before it is killed


class EpochRecorder(Callback):
    """After each epoch: a digest of the weights and the predictions for ``x``."""

    def __init__(self, x: np.ndarray) -> None:
        super().__init__()
        self.x = x
        self.digests: list[str] = []
        self.predictions: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.digests.append(weights_digest(self.model.get_weights()))
        self.predictions.append(self.model.predict(self.x))


def weights_digest(weights: list[np.ndarray]) -> str:
    return hashlib.sha256(b"".join(array.tobytes() for array in weights)).hexdigest()


def test_kill_during_fit_with_model_checkpoint_leaves_a_complete_epoch(tmp_path,
                                                                      record_property):
    path = tmp_path / "checkpoint.h5"
    model = checkpoint_model()
    x, y = checkpoint_data()
    model.save(path)  # epoch 0, the file the first child overwrites
    reference = EpochRecorder(x)
    model.fit(x, y, batch_size=CHECKPOINT_BATCH, epochs=REFERENCE_EPOCHS, verbose=0,
              callbacks=[reference])
    steps = -(-len(x) // CHECKPOINT_BATCH)

    def check(kill, loaded, saved):
        epoch, rest = divmod(loaded.optimizer.iterations, steps)
        assert rest == 0, f"kill {kill}: a checkpoint from the middle of an epoch"
        assert epoch in (saved, saved + 1), (kill, saved, epoch)
        assert 1 <= epoch <= REFERENCE_EPOCHS, (kill, epoch)
        digest = weights_digest(loaded.get_weights())
        assert digest == reference.digests[epoch - 1], f"kill {kill}, epoch {epoch}"
        assert np.array_equal(loaded.predict(x), reference.predictions[epoch - 1])

    kill_repeatedly(path, lambda: checkpointed_fit, check, 3, record_property)


# ----- damaged and crafted files -------------------------------------------------------------
@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A trained, saved model with Conv2D, pooling, BatchNormalization and Dense layers and
    SGD momentum slots: ``(bytes, model, {dataset name: (start, end) of its data})``."""
    path, model, _, _ = saved(tmp_path_factory.mktemp("original"), conv_model)
    regions = {}
    with h5py.File(path, "r") as file:
        def note(name, node):
            if isinstance(node, h5py.Dataset):
                start = node.id.get_offset()
                regions[name] = (start, start + node.id.get_storage_size())

        file.visititems(note)
    return path.read_bytes(), model, regions


def write_copy(tmp_path, data: bytes, name: str = "damaged.h5"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(load, path, match: str = "") -> str:
    """``load(path)`` must raise OSError or ValueError naming the file (and matching
    ``match``), import no module and allocate at most ALLOCATION_LIMIT bytes; the message."""
    modules = set(sys.modules)
    tracemalloc.start()
    try:
        with pytest.raises((OSError, ValueError)) as error:
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert str(path) in message, message
    assert re.search(match, message), message
    assert set(sys.modules) == modules, set(sys.modules) - modules
    assert peak < ALLOCATION_LIMIT, f"{peak} bytes allocated to refuse {path}"
    return message


def same_model(loaded, model) -> bool:
    return (loaded.get_config() == model.get_config()
            and all(np.array_equal(a, b)
                    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True))
            and all(np.array_equal(a, b) for a, b in zip(
                loaded.optimizer.get_state(loaded.trainable_weights),
                model.optimizer.get_state(model.trainable_weights), strict=True)))


def test_truncated_at_any_offset_is_refused_naming_the_size(tmp_path, original,
                                                            record_property):
    data, _, regions = original
    offsets = set(range(0, 512, 4)) | set(range(0, len(data), 61))
    for start, end in regions.values():
        offsets |= {start, start + 1, end - 1}
    offsets = sorted(offsets - {len(data)})
    for cut in offsets:
        path = write_copy(tmp_path, data[:cut], "cut.h5")
        message = refused(saving.load_model, path, "is not a dlcore model file")
        if cut >= 100:
            assert f"truncated at {cut} of {len(data)} bytes" in message
    record_property("fuzz_cases", len(offsets))


def load_flipped(tmp_path, data: bytes, position: int, bits: int):
    """The model loaded from ``data`` with ``bits`` flipped in byte ``position``, or None
    when loading refuses it (with an error that names the file)."""
    damaged = bytearray(data)
    damaged[position] ^= bits
    path = write_copy(tmp_path, bytes(damaged))
    try:
        return saving.load_model(path)
    except (OSError, ValueError) as error:
        assert str(path) in str(error)
        return None


def test_flipped_byte_in_the_metadata_is_refused_or_changes_nothing(tmp_path, original,
                                                                    record_property):
    data, model, regions = original
    positions = [i for i in range(0, len(data), 41)
                 if not any(start <= i < end for start, end in regions.values())]
    unchanged = 0
    for position in positions:
        loaded = load_flipped(tmp_path, data, position, 0xFF)
        if loaded is not None:
            assert same_model(loaded, model), f"byte {position} changed the model silently"
            unchanged += 1
    record_property("fuzz_cases", len(positions))
    assert unchanged < len(positions) // 2  # most metadata bytes matter: the flips were seen


def test_flipped_byte_in_the_weights_is_refused(tmp_path, original, record_property):
    """HDF5 keeps no checksum of contiguous data: without one of its own, a damaged weight
    loads as a silently different model."""
    data, model, regions = original
    silent = []
    for name, (start, end) in sorted(regions.items()):
        loaded = load_flipped(tmp_path, data, (start + end) // 2, 0x40)
        if loaded is not None and not same_model(loaded, model):
            silent.append(name)
    record_property("fuzz_cases", len(regions))
    assert silent == [], f"a flipped byte in {silent} loads without an error"


WRONG_DTYPES = ["int32", "float16", "complex64", "S8", [("a", "<f4")],
                h5py.string_dtype()]


def wrong_shapes(shape: tuple) -> list[tuple]:
    return [s for s in ((), (*shape, 1), shape[::-1], (0,)) if s != shape]


def test_every_dataset_with_a_wrong_dtype_or_shape_is_refused(tmp_path, original,
                                                              record_property):
    data, _, regions = original
    with h5py.File(write_copy(tmp_path, data, "model.h5"), "r") as file:
        labels = json.loads(file["optimizer_weights"].attrs["weight_names"])
        datasets = {name: (file[name].shape, file[name].dtype) for name in regions}
    cases = 0
    for name, (shape, dtype) in sorted(datasets.items()):
        group, _, leaf = name.rpartition("/")
        what = (f"weight '{name.split('/', 1)[1]}'" if group != "optimizer_weights"
                else f"optimizer state '{labels[int(leaf)]}'")
        variants = [(shape, wrong) for wrong in WRONG_DTYPES if np.dtype(wrong) != dtype]
        variants += [(wrong, dtype) for wrong in wrong_shapes(shape)]
        for new_shape, new_dtype in variants:
            path = write_copy(tmp_path, data, "model.h5")
            value = (np.zeros(new_shape, new_dtype) if np.dtype(new_dtype).kind != "O"
                     else np.array("x", new_dtype))
            edit(path, partial(replace, name=name, node=value))
            refused(saving.load_model, path, re.escape(what))
            cases += 1
    record_property("fuzz_cases", cases)


@pytest.mark.parametrize("dataset", ["model_weights/dense/kernel", "optimizer_weights/1"])
@pytest.mark.parametrize("chunks", [None, (1024, 8)])
def test_huge_declared_dataset_is_refused_without_allocating(tmp_path, original, dataset,
                                                             chunks):
    data, _, _ = original
    path = write_copy(tmp_path, data)

    def huge(file):
        del file[dataset]
        file.create_dataset(dataset, shape=(10**9, 8), dtype="float32", chunks=chunks)

    edit(path, huge)
    assert path.stat().st_size < 10**6
    refused(saving.load_model, path, r"\(1000000000, 8\)|chunks=\(1024, 8\)")


@pytest.mark.parametrize("change", [
    lambda config: config["config"]["layers"][-1]["config"].update(units=2 * 10**5),
    lambda config: config["config"]["layers"][0]["config"].update(filters=10**5),
    lambda config: config["config"]["layers"][0]["config"].update(
        batch_input_shape=[None, 6, 6, 10**5]),
], ids=["dense_units", "conv_filters", "input_shape"])
def test_config_declaring_huge_weights_is_refused_before_allocating_them(tmp_path, original,
                                                                        change):
    """A few bytes of JSON can declare a layer of any size: rebuilding it must not allocate
    weights that the file cannot hold."""
    data, _, _ = original
    path = write_copy(tmp_path, data)
    config = model_config(path)
    change(config)
    edit(path, lambda file: set_json(file, "model_config", config))
    refused(saving.load_model, path)


LINKS = {
    "soft link to the weights group": ("model_weights", h5py.SoftLink("/optimizer_weights")),
    "soft link to the optimizer group": ("optimizer_weights", h5py.SoftLink("/model_weights")),
    "soft link to itself": ("model_weights/dense/kernel",
                            h5py.SoftLink("/model_weights/dense/kernel")),
    "dangling soft link": ("model_weights/dense/bias", h5py.SoftLink("/nowhere")),
    "external link to a missing file": ("optimizer_weights/1",
                                        h5py.ExternalLink("missing.h5", "/kernel")),
    "external link to this file": ("model_weights/conv2d",
                                   h5py.ExternalLink("damaged.h5", "/model_weights/conv2d")),
}


@pytest.mark.parametrize("name", LINKS)
def test_links_of_every_kind_are_refused(tmp_path, original, name):
    data, _, _ = original
    path = write_copy(tmp_path, data)
    where, link = LINKS[name]
    edit(path, lambda file: replace(file, where, link))
    refused(saving.load_model, path, rf"{where} is a link \({type(link).__name__}\)")


# ----- configs that name code ----------------------------------------------------------------
@pytest.fixture
def canary(tmp_path, monkeypatch):
    """An importable module that leaves a file behind if anything imports it."""
    folder = tmp_path / "canary"
    folder.mkdir()
    (folder / f"{CANARY}.py").write_text(
        "import pathlib\n"
        "pathlib.Path(__file__).with_name('imported').touch()\n"
        "def run(*args, **kwargs):\n"
        "    pathlib.Path(__file__).with_name('called').touch()\n"
        "Layer = Init = Opt = run\n")
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    assert CANARY not in sys.modules and not (folder / "imported").exists()
    assert not (folder / "called").exists()


def layer_field(field, value, layer=0):
    return lambda config: config["model_config"]["config"]["layers"][layer]["config"].update(
        {field: value})


HOSTILE = {
    "layer class": lambda config: config["model_config"]["config"]["layers"][0].update(
        class_name=f"{CANARY}.Layer"),
    "layer module": lambda config: config["model_config"]["config"]["layers"][0].update(
        module=CANARY, registered_name=f"{CANARY}>Layer"),
    "model class": lambda config: config["model_config"].update(class_name=f"{CANARY}.Model"),
    "activation name": layer_field("activation", f"{CANARY}.run"),
    "activation object": layer_field("activation", {"class_name": f"{CANARY}.run",
                                                    "module": CANARY, "config": {}}),
    "initializer name": layer_field("kernel_initializer", f"{CANARY}:Init"),
    "initializer object": layer_field("kernel_initializer", {"class_name": "Init",
                                                             "module": CANARY, "config": {}}),
    "regularizer object": layer_field("kernel_regularizer", {"class_name": f"{CANARY}.run",
                                                             "config": {"l2": 1}}),
    "layer dtype": layer_field("dtype", f"{CANARY}.Float"),
    "layer name": layer_field("name", f"../{CANARY}"),
    "optimizer class": lambda config: config["training_config"]["optimizer"].update(
        class_name=f"{CANARY}.Opt"),
    "optimizer argument": lambda config: config["training_config"]["optimizer"]["config"].update(
        learning_rate={"class_name": f"{CANARY}.run", "module": CANARY, "config": {}}),
    "loss": lambda config: config["training_config"].update(loss=f"{CANARY}.run"),
    "metric": lambda config: config["training_config"].update(metrics=[f"{CANARY}.run"]),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_config_naming_code_imports_and_runs_nothing(tmp_path, original, canary, name):
    """Each field that could name a module, class or function names an importable module
    here: loading must refuse the file (or ignore the field) without importing it."""
    data, _, _ = original
    path = write_copy(tmp_path, data)
    with h5py.File(path, "r") as file:
        config = {key: json.loads(file.attrs[key])
                  for key in ("model_config", "training_config")}
    HOSTILE[name](config)
    edit(path, lambda file: [set_json(file, key, value) for key, value in config.items()])
    if name == "layer module":  # an unknown key beside a known class: ignored, and harmless
        saving.load_model(path)
    else:
        refused(saving.load_model, path)


# ----- files that are not HDF5 ---------------------------------------------------------------
def pickle_that_imports_the_canary() -> bytes:
    return f"c{CANARY}\nrun\n(tR.".encode()  # protocol 0: GLOBAL, MARK, TUPLE, REDUCE


def keras_like_zip() -> bytes:
    """A Keras 3 ``.keras`` archive whose config names the canary module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", json.dumps({"module": CANARY, "class_name": "Layer"}))
        archive.writestr("model.weights.h5", b"")
    return buffer.getvalue()


FOREIGN = {
    "empty": b"",
    "pickle": pickle_that_imports_the_canary(),
    "pickle protocol 5": pickle.dumps({"weights": [1.0, 2.0]}, protocol=5),
    "keras zip": keras_like_zip(),
    "json": b'{"class_name": "Sequential", "config": {"layers": []}}',
    "numpy npy": b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, "
                 b"'shape': (1000000000,), }" + b" " * 50 + b"\n",
    "hdf5 signature only": b"\x89HDF\r\n\x1a\n" + b"\x00" * 200,
    "text": b"model weights\n" * 100,
}


@pytest.mark.parametrize("name", FOREIGN)
def test_files_of_other_formats_are_refused(tmp_path, canary, name):
    path = write_copy(tmp_path, FOREIGN[name], "model.h5")
    refused(saving.load_model, path, "is not a dlcore model file")
    refused(lambda p: saving.load_weights(conv_model()[0], p), path, "not a dlcore model file")


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "model.h5"
    os.mkfifo(path)
    outcome = []
    reader = threading.Thread(daemon=True, target=lambda: outcome.append(
        refused(saving.load_model, path, "not a regular file")))
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # release the blocked open before failing
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("load_model waited for a writer to open the pipe")
    assert len(outcome) == 1


def test_a_device_and_a_symbolic_link_loop_are_refused(tmp_path):
    refused(saving.load_model, "/dev/null", "not a regular file")
    loop = tmp_path / "loop.h5"
    loop.symlink_to(loop)
    refused(saving.load_model, loop, "no such file")
