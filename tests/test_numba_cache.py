"""dlcore imports and trains when numba cannot cache its kernels on disk.

Each case runs a fresh process with a copy of dlcore in a read-only folder and a read-only
home folder, as on a shared machine with read-only site-packages, and points
``NUMBA_CACHE_DIR`` at a read-only directory, or at a location that cannot be created. numba
then finds no cache location at all (its decorator raises "no locator available"), and
dlcore's ``kernels._jit`` falls back to compiling in memory (numba's ``NullCache``). The
control, a writable ``NUMBA_CACHE_DIR``, shows that the same check sees caching when it is
possible. Processes run as root lose the capabilities that ignore file permissions first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dlcore

pytestmark = pytest.mark.skipif(
    os.name != "posix" or (os.geteuid() == 0 and not sys.platform.startswith("linux")),
    reason="read-only folders need POSIX permissions (and, for root, Linux capabilities)")

TRAIN = r"""
import ctypes, json, os, sys, warnings
if os.geteuid() == 0:  # root ignores permissions unless it drops DAC_OVERRIDE, DAC_READ_SEARCH
    class Header(ctypes.Structure):  # and FOWNER (capabilities 1, 2, 3)
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class Data(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inherit")]
    libc, header, data = ctypes.CDLL(None, use_errno=True), Header(0x20080522, 0), (Data * 2)()
    assert libc.capget(ctypes.byref(header), data) == 0
    data[0].effective &= ~0b1110
    data[0].permitted &= ~0b1110
    assert libc.capset(ctypes.byref(header), data) == 0, ctypes.get_errno()
import numpy as np
from numba.core.errors import NumbaWarning
warnings.simplefilter("error", NumbaWarning)
import dlcore
from dlcore import kernels, utils
from dlcore.kernels import activations, optimizers
from dlcore.layers import Dense
from dlcore.models import Sequential
utils.set_random_seed(0)
model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1)])
model.compile("sgd", "mse")
x = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
history = model.fit(x, x[:, :1], epochs=3, verbose=0)
caches = sorted({type(kernel._cache).__name__ for module in (activations, optimizers)
                 for kernel in vars(module).values() if getattr(kernel, "signatures", None)})
print(json.dumps({"package": dlcore.__file__, "loss": history.history["loss"],
                  "caches": caches}))
"""


def read_only(path: Path) -> None:
    for folder, _, files in os.walk(path):
        for name in files:
            os.chmod(os.path.join(folder, name), 0o444)
        os.chmod(folder, 0o555)


def writable(path: Path) -> None:
    for folder, _, files in os.walk(path):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """A read-only copy of dlcore, a read-only home, and the cache locations of each case."""
    root = tmp_path_factory.mktemp("numba_cache")
    shutil.copytree(Path(dlcore.__file__).parent, root / "site" / "dlcore",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "home").mkdir()
    (root / "read-only cache").mkdir()
    (root / "a file").write_text("not a folder")
    (root / "writable cache").mkdir()
    for folder in ("site", "home", "read-only cache"):
        read_only(root / folder)
    yield root
    writable(root)


CASES = {
    "read-only directory": "read-only cache",
    "location that cannot be created": "a file/cache",
    "writable directory (control)": "writable cache",
}


@pytest.fixture(scope="module")
def runs(machine):
    """Start every case at once (each compiles its kernels), then collect them."""
    processes = {}
    for case, cache in CASES.items():
        environment = {**os.environ, "NUMBA_CACHE_DIR": str(machine / cache),
                       "HOME": str(machine / "home"), "XDG_CACHE_HOME": str(machine / "home"),
                       "PYTHONPATH": str(machine / "site"), "PYTHONDONTWRITEBYTECODE": "1"}
        processes[case] = subprocess.Popen([sys.executable, "-c", TRAIN], cwd=machine / "site",
                                           env=environment, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True)
    results = {}
    for case, process in processes.items():
        stdout, stderr = process.communicate(timeout=600)
        results[case] = (process.returncode, stdout, stderr)
    return results


@pytest.mark.parametrize("case", CASES)
def test_dlcore_imports_and_trains_whatever_the_cache_location(machine, runs, case):
    returncode, stdout, stderr = runs[case]
    assert returncode == 0, stderr
    report = json.loads(stdout.splitlines()[-1])
    assert report["package"] == str(machine / "site" / "dlcore" / "__init__.py")
    losses = report["loss"]
    assert len(losses) == 3 and losses[-1] < losses[0]
    cache = machine / CASES[case]
    if case.endswith("(control)"):
        assert report["caches"] == ["FunctionCache"]
        assert any(name.endswith(".nbi") for _, _, files in os.walk(cache) for name in files)
    else:
        assert report["caches"] == ["NullCache"]  # compiled in memory: nothing could be cached
        assert not cache.exists() or list(cache.iterdir()) == []
