"""Saving and loading models in HDF5 (``.h5``) files, safely.

The layout follows Keras 2's ``.h5`` files::

    /                        attrs: format = 'dlcore-model' (or 'dlcore-weights'),
                                    format_version, dlcore_version,
                                    model_config    JSON {class_name: 'Sequential', config,
                                                          build_config: {input_shape}}
                                    training_config JSON {optimizer: {class_name, config},
                                                          loss, metrics}   (compiled models)
    /model_weights           attr layer_names (JSON list, the layer order)
    /model_weights/dense     attr weight_names (JSON list: 'dense/kernel', 'dense/bias')
    /model_weights/dense/kernel, /model_weights/dense/bias     one dataset per weight
    /optimizer_weights       attr weight_names (JSON list: 'iterations', 'dense/kernel/m', ...)
    /optimizer_weights/0, /1, ...   the optimizer's state arrays, in that order

A weights file (``save_weights``) holds the root attributes without the configs, and
``model_weights``.

Text attributes are stored as fixed-length byte strings, so their size is known before
they are read.

Writing never damages a previous file: everything goes to a temporary file in the same
folder, which is flushed to disk and then renamed onto the target in one step.

Loading never runs code from the file. Classes are looked up only among dlcore's own
layers and optimizers (no imports, no pickle); configs must be plain JSON; every
dataset is checked (a hard-linked, contiguous, fully stored array of the expected shape
and dtype) before any data is read, so links to other files, virtual datasets and
datasets declaring huge shapes are refused without allocating anything.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import math
import os
import posixpath
import re
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from . import losses, optimizers, random
from .version import __version__

if TYPE_CHECKING:  # dlcore.models imports this module: the classes are imported when used
    from .models.sequential import Sequential

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]

MODEL_FORMAT = "dlcore-model"
WEIGHTS_FORMAT = "dlcore-weights"
FORMAT_VERSION = 1
MAX_TEXT_BYTES = 16 * 2**20  # cap on each JSON attribute
CHECKSUM = "sha256"  # attribute of every weight dataset: the SHA-256 of its bytes
MAX_INPUT_DIMENSION = 2**31

# HDF5 1.8 object headers: attributes larger than 64 KiB (big model configs) fit.
_LIBVER = ("v108", "latest")
_WEIGHT_DTYPE_NAMES = ("float16", "float32", "float64")
_WEIGHT_DTYPES = tuple(np.dtype(name) for name in _WEIGHT_DTYPE_NAMES)
_ITERATIONS_DTYPE = np.dtype(np.int64)
# What constructors may raise on a wrong value read from a file's config.
_CONFIG_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError,
                  MemoryError)
_OPTIMIZER_CLASSES: dict[str, type[optimizers.Optimizer]] = {
    cls.__name__: cls
    for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad, optimizers.Adam)
}


# ----- public functions --------------------------------------------------------------------
def save_model(model: Sequential, filepath: str | os.PathLike, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Save architecture, weights and (if compiled) training setup to an HDF5 file.

    ``include_optimizer=True`` also stores the optimizer's state (iterations, moments),
    so a loaded model goes on training exactly where this one stopped. With
    ``overwrite=False`` an existing file raises ``FileExistsError``.
    """
    _require_sequential(model, "save_model")
    _check_names(model, "save_model")
    model_config = {"class_name": type(model).__name__, "config": model.get_config()}
    if model.built:
        model_config["build_config"] = {"input_shape": list(model.input_shape)}
    texts = {"model_config": _json_text(model_config, "model_config")}
    training_config = _training_config(model)
    if training_config is not None:
        texts["training_config"] = _json_text(training_config, "training_config")
    save_state = (include_optimizer and training_config is not None
                  and model.optimizer.iterations > 0)

    def write(file: h5py.File) -> None:
        _write_header(file, MODEL_FORMAT)
        for name, text in texts.items():
            _write_text(file, name, text)
        _write_model_weights(file, model)
        if save_state:
            _write_optimizer_state(file, model)

    _write_atomically(filepath, overwrite, write)


def load_model(filepath: str | os.PathLike, custom_objects: dict | None = None,
               compile: bool = True, safe_mode: bool = True) -> Sequential:
    """Rebuild a model saved by ``save_model``: same architecture, weights bit for bit.

    With ``compile=True`` and a training configuration in the file, the model is compiled
    with the same optimizer, loss and metrics, and the optimizer state is restored.
    ``custom_objects`` must be None: dlcore loads only its own classes. ``safe_mode`` is
    accepted for Keras 3 familiarity; loading is always safe (nothing in the file is run).
    """
    if custom_objects is not None:
        raise ValueError(
            "load_model: custom_objects is not supported; dlcore rebuilds only its own layers "
            "and optimizers and never runs code from a model file. Leave custom_objects=None, "
            "or rebuild a custom model in code and call load_weights on it.")
    path = _existing_file(filepath)
    with _open_for_reading(path) as file:
        _check_format(file, path, (MODEL_FORMAT,))
        model = _rebuild_model(file, path)
        model.set_weights(_read_model_weights(file, model, path))
        training_config = _json_attribute(file, "training_config", path) if compile else None
        if training_config is not None:
            _compile_from(model, training_config, path)
            _restore_optimizer_state(file, model, path)
    return model


def save_weights(model: Sequential, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Save only the weights (layer by layer) to an HDF5 file; ``load_weights`` reads them."""
    _require_sequential(model, "save_weights")
    if not model.built:
        raise ValueError(f"save_weights: the model {model.name!r} is not built yet, so it has "
                         "no weights; give the first layer input_shape= or train it first")
    _check_names(model, "save_weights")

    def write(file: h5py.File) -> None:
        _write_header(file, WEIGHTS_FORMAT)
        _write_model_weights(file, model)

    _write_atomically(filepath, overwrite, write)


def load_weights(model: Sequential, filepath: str | os.PathLike) -> None:
    """Set the weights of a built ``model`` from a file of ``save_weights`` or ``save_model``.

    Layers with weights are matched in order (names may differ); every weight must have
    the shape and dtype of the model's. Nothing is changed unless all of them fit.
    """
    _require_sequential(model, "load_weights")
    if not model.built:
        raise ValueError(f"load_weights: the model {model.name!r} is not built yet, so its "
                         "weights do not exist; give the first layer input_shape= (or call "
                         "model.build(input_shape)) before loading weights")
    path = _existing_file(filepath)
    with _open_for_reading(path) as file:
        _check_format(file, path, (WEIGHTS_FORMAT, MODEL_FORMAT))
        model.set_weights(_read_model_weights(file, model, path))


# ----- writing -----------------------------------------------------------------------------
def _require_sequential(model: Any, caller: str) -> None:
    from .models.sequential import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"{caller} saves and loads dlcore Sequential models, got "
                        f"{type(model).__name__}")


def _check_names(model: Sequential, caller: str) -> None:
    """Layer names become HDF5 groups and weight names paths below them: plain names only."""
    for layer in model.layers:
        if _bad_path_part(layer.name):
            raise ValueError(f"{caller}: the layer name {layer.name!r} cannot name an HDF5 "
                             "group ('/' separates groups; '' and '.' are not names); "
                             "rename the layer, e.g. name='block1_conv'")
        for name in layer.weight_names:
            _path_parts(name, f"{caller}: the weight name")


def _training_config(model: Sequential) -> dict | None:
    """``{optimizer, loss, metrics}`` of a compiled model; None (with a warning) if unnamed."""
    if model.optimizer is None or model.loss is None:
        return None
    problem = None
    if type(model.optimizer) not in _OPTIMIZER_CLASSES.values():
        problem = (f"the optimizer {type(model.optimizer).__name__} is not one of dlcore's "
                   f"({', '.join(_OPTIMIZER_CLASSES)})")
    metrics = model._metric_names
    unnamed = [metric for metric in metrics if not isinstance(metric, str)]
    if unnamed:
        problem = (f"the metrics {unnamed!r} are functions, not names such as 'accuracy'; "
                   "only names can be stored")
    try:
        loss = losses.name_of(model.loss)
    except ValueError as error:
        problem = str(error)
    if problem is not None:
        warnings.warn(f"save_model: {problem}. The file gets no training configuration: "
                      "load_model will return the model uncompiled (compile it again after "
                      "loading)", UserWarning, stacklevel=3)
        return None
    optimizer = {"class_name": type(model.optimizer).__name__,
                 "config": model.optimizer.get_config()}
    return {"optimizer": optimizer, "loss": loss, "metrics": list(metrics)}


def _json_text(value: Any, where: str) -> str:
    _check_plain_json(value, where)
    return json.dumps(value, allow_nan=False)


def _check_plain_json(value: Any, where: str) -> None:
    """Raise a TypeError naming the place of anything that is not plain JSON."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has the key {key!r}; JSON keys must be strings")
            _check_plain_json(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_plain_json(item, f"{where}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is {value}; a saved config holds finite numbers only")
    elif not isinstance(value, (str, int, float, bool, type(None))):
        raise TypeError(f"{where} is a {type(value).__name__} ({value!r}); a saved config "
                        "holds only dict, list, str, int, float, bool and None (get_config "
                        "must return plain Python values)")


def _write_header(file: h5py.File, file_format: str) -> None:
    _write_text(file, "format", file_format)
    file.attrs["format_version"] = np.int64(FORMAT_VERSION)
    _write_text(file, "dlcore_version", __version__)


def _write_text(node: h5py.Group, name: str, text: str) -> None:
    data = text.encode("utf-8")
    if len(data) > MAX_TEXT_BYTES:
        raise ValueError(f"the {name} attribute would take {len(data)} bytes, more than the "
                         f"{MAX_TEXT_BYTES} a dlcore file may hold; the model is too large "
                         "to describe in one file")
    node.attrs[name] = np.bytes_(data)


def _write_model_weights(file: h5py.File, model: Sequential) -> None:
    group = file.create_group("model_weights")
    _write_text(group, "layer_names", json.dumps([layer.name for layer in model.layers]))
    for layer in model.layers:
        layer_group = group.create_group(layer.name)
        _write_text(layer_group, "weight_names", json.dumps(layer.weight_names))
        for name, array in zip(layer.weight_names, layer.get_weights(), strict=True):
            _write_dataset(group, name, array)


def _write_optimizer_state(file: h5py.File, model: Sequential) -> None:
    layout = _optimizer_state_layout(model)
    arrays = model.optimizer.get_state(model.trainable_weights)
    group = file.create_group("optimizer_weights")
    _write_text(group, "weight_names", json.dumps([label for label, _, _ in layout]))
    for index, array in enumerate(arrays):
        _write_dataset(group, str(index), array)


def _write_dataset(group: h5py.Group, name: str, array: np.ndarray) -> None:
    """``array`` as a dataset with the SHA-256 of its bytes (HDF5 keeps no checksum of plain
    data, so a damaged weight would otherwise load as a different model)."""
    dataset = group.create_dataset(name, data=array)
    dataset.attrs[CHECKSUM] = np.bytes_(_checksum(np.asarray(array)))


def _checksum(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _optimizer_state_layout(model: Sequential) -> list[tuple[str, tuple, np.dtype]]:
    """``(label, shape, dtype)`` of each array of ``optimizer.get_state``, in order."""
    labels = {id(weight): name for layer in model.layers
              for weight, name in zip(layer.weights, layer.weight_names, strict=True)}
    layout = [("iterations", (), _ITERATIONS_DTYPE)]
    for param in model.trainable_weights:
        layout += [(f"{labels[id(param)]}/{slot}", param.shape, param.dtype)
                   for slot in model.optimizer.slot_names]
    return layout


def _write_atomically(filepath: str | os.PathLike, overwrite: bool,
                      write: Callable[[h5py.File], None]) -> None:
    """Write to a temporary file beside ``filepath``, sync it, then rename it onto the target.

    On any error the temporary file is removed and an existing target is left untouched.
    """
    path = os.fspath(filepath)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path}: it is a folder; give a file name such "
                                f"as {os.path.join(path, 'model.h5')}")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} already exists and overwrite=False; pass overwrite=True "
                              "to replace it, or choose another file name")
    target = os.path.realpath(path)  # through a symbolic link: replace the file it names
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path}: the folder {folder} does not exist; "
                                f"create it first, e.g. os.makedirs({folder!r})")
    mode = _file_mode(target)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp",
                                                 prefix=f".{os.path.basename(target)}.")
    except PermissionError as error:
        raise PermissionError(f"cannot save to {path}: no permission to create files in "
                              f"{folder}; choose a folder you can write to") from error
    os.close(descriptor)
    try:
        with h5py.File(temporary, "w", libver=_LIBVER) as file:
            write(file)
            file.flush()
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _sync_folder(folder)


def _file_mode(path: str) -> int:
    """The permissions of the file being replaced, or the usual ones for a new file."""
    if os.path.exists(path):
        return stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; some file systems cannot sync folders)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ----- opening and checking a file ---------------------------------------------------------
def _existing_file(filepath: str | os.PathLike) -> str:
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path} (looked in {os.path.abspath(path)}); "
                                "check the name and the working folder")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a folder, not a dlcore model file")
    if not os.path.isfile(path):  # opening a named pipe would wait for a writer forever
        raise OSError(f"{path} is not a dlcore model file: it is not a regular file (a pipe, "
                      "socket or device); save the model to a file and load that")
    return path


@contextlib.contextmanager
def _open_for_reading(path: str) -> Iterator[h5py.File]:
    """The open file; h5py's errors on unreadable or damaged files become one clear OSError."""
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise OSError(f"{path} is not a dlcore model file: {_unreadable_reason(path, error)}"
                      ) from error
    try:
        with file:
            yield file
    except (OSError, KeyError, RuntimeError) as error:
        raise OSError(f"{path} is not a dlcore model file: part of it is damaged and cannot be "
                      f"read (h5py: {error}); save the model again") from error


def _unreadable_reason(path: str, error: OSError) -> str:
    size = os.path.getsize(path)
    truncated = re.search(r"truncated file: eof = (\d+).*?stored_eof = (\d+)", str(error))
    if truncated:
        return (f"it is truncated at {size} of {truncated.group(2)} bytes (an interrupted copy "
                "or download?); copy or save it again")
    return f"it is not an HDF5 file, or it is damaged ({size} bytes; h5py: {error})"


def _check_format(file: h5py.File, path: str, accepted: tuple[str, ...]) -> None:
    file_format = _text_attribute(file, "format", path)
    if file_format is None:
        keras = (" It looks like a Keras file (it has 'keras_version'): dlcore cannot read "
                 "Keras files; rebuild the model in dlcore and copy the weights with "
                 "set_weights." if "keras_version" in file.attrs else "")
        raise ValueError(f"{path} is an HDF5 file but not a dlcore model (no 'format' "
                         f"attribute; dlcore writes format={MODEL_FORMAT!r}).{keras}")
    if file_format not in accepted:
        hint = {WEIGHTS_FORMAT: " It holds only weights (from save_weights): build the model "
                                "in code and call dlcore.saving.load_weights(model, path)."}
        raise ValueError(f"{path} has format {file_format!r}, expected "
                         f"{' or '.join(map(repr, accepted))}.{hint.get(file_format, '')}")
    version = _integer_attribute(file, "format_version", path)
    if not 1 <= version <= FORMAT_VERSION:
        raise ValueError(f"{path} has format version {version}; this dlcore reads versions "
                         f"1 to {FORMAT_VERSION} (files from a newer dlcore need an upgrade)")


def _text_attribute(node: h5py.Group, name: str, path: str) -> str | None:
    """A fixed-length byte-string attribute as text; its size is checked before reading."""
    if name not in node.attrs:
        return None
    attribute = node.attrs.get_id(name)
    where = f"{path}: attribute {name!r} of {node.name}"
    if attribute.dtype.kind != "S" or attribute.shape != ():
        raise ValueError(f"{where} is stored as {attribute.dtype} of shape {attribute.shape}, "
                         "not as the single byte string dlcore writes")
    if attribute.dtype.itemsize > MAX_TEXT_BYTES:
        raise ValueError(f"{where} declares {attribute.dtype.itemsize} bytes, more than the "
                         f"{MAX_TEXT_BYTES} a dlcore file may hold; refusing to read it")
    try:
        return bytes(node.attrs[name]).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where} is not UTF-8 text ({error})") from error


def _integer_attribute(node: h5py.Group, name: str, path: str) -> int:
    if name not in node.attrs:
        raise ValueError(f"{path}: the attribute {name!r} of {node.name} is missing")
    attribute = node.attrs.get_id(name)
    if attribute.dtype.kind not in "iu" or attribute.shape != ():
        raise ValueError(f"{path}: the attribute {name!r} of {node.name} must be one integer, "
                         f"got {attribute.dtype} of shape {attribute.shape}")
    return int(node.attrs[name])


def _json_attribute(node: h5py.Group, name: str, path: str) -> Any:
    """A JSON attribute parsed strictly: no NaN or infinity, no repeated keys."""
    text = _text_attribute(node, name, path)
    if text is None:
        return None
    where = f"{path}: attribute {name!r} of {node.name}"
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float,
                          object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError(f"{where} is nested too deeply to be a dlcore config") from None
    except ValueError as error:
        raise ValueError(f"{where} is not plain JSON: {error}") from error


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a float")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        counts = collections.Counter(key for key, _ in pairs)
        raise ValueError(f"repeated keys {sorted(key for key, n in counts.items() if n > 1)}")
    return result


def _expect(value: Any, kind: type | tuple[type, ...], what: str, path: str) -> Any:
    """``value`` if it is a ``kind``; otherwise a ValueError naming ``what`` in the file."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValueError(f"{path}: {what} must be a {names}, got {type(value).__name__} "
                         f"{_short(value)}")
    return value


def _string_list(value: Any, what: str, path: str) -> list[str]:
    for item in _expect(value, list, what, path):
        _expect(item, str, f"each entry of {what}", path)
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad_path_part(part: Any) -> bool:
    return not isinstance(part, str) or part in ("", ".", "..") or "/" in part


def _path_parts(name: str, what: str) -> list[str]:
    """The components of an HDF5 path, each a plain name (no '', '.', '..')."""
    parts = name.split("/")
    if any(_bad_path_part(part) for part in parts):
        raise ValueError(f"{what} {name!r} is not a plain HDF5 path (empty, '.' or '..' parts)")
    return parts


def _node(root: h5py.Group, name: str, path: str, kind: type) -> Any:
    """The group or dataset ``name`` below ``root``, reached only through hard links."""
    node = root
    for part in _path_parts(name, f"{path}: the entry"):
        link = node.get(part, getlink=True) if isinstance(node, h5py.Group) else None
        if link is None:
            raise ValueError(f"{path}: {posixpath.join(root.name, name)} is missing; the file "
                             "is incomplete or was not written by dlcore")
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"{path}: {posixpath.join(node.name, part)} is a link "
                             f"({type(link).__name__}); dlcore files hold only plain groups and "
                             "datasets, and a link could reach into other files. Refusing to "
                             "follow it")
        node = node[part]
    if not isinstance(node, kind):
        raise ValueError(f"{path}: {node.name} is a {type(node).__name__}, expected a "
                         f"{kind.__name__}")
    if isinstance(node, h5py.Dataset) and (node.is_virtual or node.external):
        storage = "a virtual dataset" if node.is_virtual else "stored in external files"
        raise ValueError(f"{path}: {node.name} is {storage}; dlcore reads only data stored "
                         "inside the file itself. Refusing to read it")
    return node


def _check_dataset(dataset: h5py.Dataset, shape: tuple, dtype: np.dtype, what: str,
                   path: str) -> None:
    """Shape, dtype and storage of ``dataset`` from its metadata, before reading anything."""
    if dataset.dtype != dtype:
        raise ValueError(f"{path}: {what} is stored as {dataset.dtype}, but the model's weight "
                         f"is {dtype}; the file does not belong to this model (or was edited)")
    if dataset.shape != tuple(shape):
        raise ValueError(f"{path}: {what} has shape {dataset.shape} in the file, but the "
                         f"model's weight has shape {tuple(shape)}; the file does not belong "
                         "to this model (or was edited)")
    stored = dataset.id.get_storage_size()
    if dataset.chunks is not None or stored != dataset.nbytes:
        raise ValueError(f"{path}: {what} is not stored as dlcore writes it (declares "
                         f"{dataset.nbytes} bytes, {stored} stored, chunks={dataset.chunks}); "
                         "the file is incomplete or was not written by dlcore")


def _read_datasets(file: h5py.File, group: h5py.Group,
                   entries: list[tuple[str, tuple, np.dtype, str]], path: str
                   ) -> list[np.ndarray]:
    """Check every ``(name, shape, dtype, description)`` entry, then read them all."""
    datasets = []
    for name, shape, dtype, what in entries:
        if dtype not in (*_WEIGHT_DTYPES, _ITERATIONS_DTYPE):
            raise ValueError(f"{path}: {what} would be of dtype {dtype}; dlcore reads only "
                             "float16, float32, float64 and int64 arrays")
        dataset = _node(group, name, path, h5py.Dataset)
        _check_dataset(dataset, shape, dtype, what, path)
        datasets.append(dataset)
    declared = sum(dataset.nbytes for dataset in datasets)
    if declared > file.id.get_filesize():
        raise ValueError(f"{path}: the datasets declare {declared} bytes, more than the whole "
                         f"file ({file.id.get_filesize()} bytes); the file is damaged")
    arrays = [np.asarray(dataset[()]) for dataset in datasets]
    for dataset, array, (_, _, _, what) in zip(datasets, arrays, entries, strict=True):
        expected = _text_attribute(dataset, CHECKSUM, path)
        if expected is not None and expected != _checksum(array):
            raise ValueError(f"{path}: {what} does not match the checksum saved with it; the "
                             "file was damaged after it was written")
    return arrays


# ----- rebuilding --------------------------------------------------------------------------
def _rebuild_model(file: h5py.File, path: str) -> Sequential:
    """The model described by ``model_config``, built, with freshly initialised weights."""
    from .layers import LAYER_CLASSES
    from .layers.base import weight_budget
    from .models.sequential import Sequential

    model_config = _json_attribute(file, "model_config", path)
    if model_config is None:
        raise ValueError(f"{path}: the 'model_config' attribute is missing; the file is "
                         "incomplete or was not written by dlcore's save_model")
    _expect(model_config, dict, "model_config", path)
    class_name = model_config.get("class_name")
    if class_name != "Sequential":
        raise ValueError(f"{path}: model_config describes a {_short(class_name)} model; dlcore "
                         "loads only 'Sequential' models")
    config = _expect(model_config.get("config"), dict, "model_config['config']", path)
    _expect(config.get("name"), (str, type(None)), "the model name", path)
    entries = _expect(config.get("layers"), list, "model_config['config']['layers']", path)
    for index, entry in enumerate(entries):
        where = f"layer {index} of model_config"
        _expect(entry, dict, where, path)
        _expect(entry.get("config"), dict, f"the config of {where}", path)
        name = _expect(entry.get("class_name"), str, f"the class_name of {where}", path)
        if name not in LAYER_CLASSES:
            raise ValueError(
                f"{path}: {where} names the class {_short(name)}, which is not a dlcore layer. "
                f"dlcore loads only its own layers ({', '.join(sorted(LAYER_CLASSES))}) and "
                "never imports or runs anything named in a file")
        dtype = entry["config"].get("dtype", "float32")
        if dtype not in _WEIGHT_DTYPE_NAMES:
            raise ValueError(f"{path}: {where} has dtype {_short(dtype)}; dlcore layers hold "
                             f"{', '.join(_WEIGHT_DTYPE_NAMES)} weights")
    input_shape = _build_input_shape(model_config.get("build_config"), path)
    try:
        with weight_budget(file.id.get_filesize()), random.preserved():
            model = Sequential.from_config(config, LAYER_CLASSES)
            if input_shape is not None and not model.built:
                model.build(input_shape)
    except _CONFIG_ERRORS as error:
        raise ValueError(f"{path}: the model in model_config cannot be rebuilt: {error}"
                         ) from error
    _check_names(model, f"load_model({path!r})")
    return model


def _build_input_shape(build_config: Any, path: str) -> tuple | None:
    """The input shape the saved model was built for, checked to be a plausible shape."""
    if build_config is None:
        return None
    what = "model_config['build_config']['input_shape']"
    _expect(build_config, dict, "model_config['build_config']", path)
    shape = _expect(build_config.get("input_shape"), list, what, path)
    sizes_fit = all(size is None or (isinstance(size, int) and not isinstance(size, bool)
                                     and 1 <= size <= MAX_INPUT_DIMENSION) for size in shape)
    if not 2 <= len(shape) <= 8 or not sizes_fit:
        raise ValueError(f"{path}: {what} must be a shape such as [null, 28, 28, 1] (2 to 8 "
                         f"sizes, each null or from 1 to {MAX_INPUT_DIMENSION}), got "
                         f"{_short(shape)}")
    return tuple(shape)


def _read_model_weights(file: h5py.File, model: Sequential, path: str) -> list[np.ndarray]:
    """Every weight of ``model`` from ``model_weights``, layers with weights matched in order."""
    group = _node(file, "model_weights", path, h5py.Group)
    layer_names = _string_list(_json_attribute(group, "layer_names", path),
                               "model_weights' layer_names", path)
    in_file = []
    for name in layer_names:
        layer_group = _node(group, name, path, h5py.Group)
        weight_names = _string_list(_json_attribute(layer_group, "weight_names", path),
                                    f"the weight_names of layer {name!r}", path)
        if weight_names:
            in_file.append((name, weight_names))
    layers = [layer for layer in model.layers if layer.weights]
    if len(in_file) != len(layers):
        raise ValueError(f"{path} holds weights for {len(in_file)} layers "
                         f"({[name for name, _ in in_file]}), but the model has {len(layers)} "
                         f"layers with weights ({[layer.name for layer in layers]}); the "
                         "architectures differ")
    entries = []
    for (file_layer, weight_names), layer in zip(in_file, layers, strict=True):
        if len(weight_names) != len(layer.weights):
            raise ValueError(f"{path}: layer {file_layer!r} has {len(weight_names)} weights "
                             f"in the file ({weight_names}), but the model's layer "
                             f"{layer.name!r} has {len(layer.weights)} ({layer.weight_names})")
        entries += [(file_name, weight.shape, weight.dtype,
                     f"layer {layer.name!r}, weight {model_name!r}")
                    for file_name, model_name, weight in zip(weight_names, layer.weight_names,
                                                             layer.weights, strict=True)]
    return _read_datasets(file, group, entries, path)


def _compile_from(model: Sequential, training_config: Any, path: str) -> None:
    """Compile ``model`` with the optimizer, loss and metrics named in ``training_config``."""
    _expect(training_config, dict, "training_config", path)
    optimizer = _expect(training_config.get("optimizer"), dict, "training_config['optimizer']",
                        path)
    class_name = _expect(optimizer.get("class_name"), str, "the optimizer's class_name", path)
    optimizer_class = _OPTIMIZER_CLASSES.get(class_name)
    if optimizer_class is None:
        raise ValueError(f"{path}: training_config names the optimizer {_short(class_name)}, "
                         f"which is not a dlcore optimizer ({', '.join(_OPTIMIZER_CLASSES)})")
    optimizer_config = _expect(optimizer.get("config"), dict, "the optimizer's config", path)
    loss = _expect(training_config.get("loss"), str, "training_config['loss']", path)
    metrics = _string_list(training_config.get("metrics", []), "training_config['metrics']",
                           path)
    try:
        model.compile(optimizer=optimizer_class.from_config(optimizer_config), loss=loss,
                      metrics=metrics)
    except _CONFIG_ERRORS as error:
        raise ValueError(f"{path}: the training configuration cannot be restored: {error}"
                         ) from error


def _restore_optimizer_state(file: h5py.File, model: Sequential, path: str) -> None:
    """Load ``optimizer_weights`` (when present) into the freshly compiled optimizer."""
    if file.get("optimizer_weights", getlink=True) is None:
        return
    group = _node(file, "optimizer_weights", path, h5py.Group)
    layout = _optimizer_state_layout(model)
    labels = _string_list(_json_attribute(group, "weight_names", path),
                          "optimizer_weights' weight_names", path)
    expected = [label for label, _, _ in layout]
    if labels != expected:
        raise ValueError(f"{path}: the optimizer state holds {_short(labels)}, but "
                         f"{type(model.optimizer).__name__} on this model needs "
                         f"{_short(expected)}; the file is inconsistent")
    entries = [(str(index), shape, dtype, f"optimizer state {label!r}")
               for index, (label, shape, dtype) in enumerate(layout)]
    arrays = _read_datasets(file, group, entries, path)
    try:
        model.optimizer.set_state(model.trainable_weights, arrays)
    except ValueError as error:
        raise ValueError(f"{path}: the optimizer state cannot be restored: {error}") from error
