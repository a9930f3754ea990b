"""``dlcore.utils.set_random_seed`` makes a whole training run repeatable bit for bit.

The run (``tests._reliability.determinism_run``): a model with Conv2D, BatchNormalization,
LSTM and Dropout, fitted with ``shuffle=True`` and ``validation_split``, so that weight
initialisation, shuffling and dropout masks all draw random numbers. Its weights, history,
predictions and a training-mode output (a fresh dropout mask) must be identical across two
runs in one process and across separate processes (with different hash seeds and BLAS
thread counts), and must differ under another seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests._reliability import determinism_run

ROOT = Path(__file__).resolve().parent.parent
SEED = 7


def assert_bit_identical(first: dict, second: dict) -> int:
    """Same names, dtypes, shapes and bytes; the number of arrays compared."""
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name].dtype == second[name].dtype, name
        assert first[name].shape == second[name].shape, name
        assert first[name].tobytes() == second[name].tobytes(), name
    return len(first)


def test_two_runs_in_one_process_are_bit_identical(record_property):
    first = determinism_run(SEED)
    assert {"history_loss", "history_val_accuracy", "weight_0", "predictions",
            "training_output"} <= set(first)
    assert len(first["history_loss"]) == 3
    record_property("determinism_checks", assert_bit_identical(first, determinism_run(SEED)))


def test_another_seed_gives_another_run():
    first, other = determinism_run(SEED), determinism_run(SEED + 1)
    same = [name for name in first if np.array_equal(first[name], other[name])]
    assert [name for name in same if "accuracy" not in name] == []  # accuracies can tie


def test_runs_in_separate_processes_are_bit_identical(tmp_path, record_property):
    environments = [{"PYTHONHASHSEED": "1"},
                    {"PYTHONHASHSEED": "2", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}]
    processes = [subprocess.Popen(
        [sys.executable, "-m", "tests._reliability", str(tmp_path / f"run{index}.npz"),
         str(SEED)], cwd=ROOT, env={**os.environ, **environment}, stderr=subprocess.PIPE,
        text=True) for index, environment in enumerate(environments)]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    runs = []
    for index in range(len(environments)):
        with np.load(tmp_path / f"run{index}.npz") as arrays:
            runs.append(dict(arrays))
    checks = assert_bit_identical(runs[0], runs[1])
    checks += assert_bit_identical(runs[0], determinism_run(SEED))
    record_property("determinism_checks", checks)
