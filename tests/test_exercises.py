"""Every exercise: the student notebooks are generated from the current solutions, and in an
untouched student notebook every graded check says "not done yet" (nbval runs the solution
notebooks themselves, which must pass every check)."""

import contextlib
import io
import json
from pathlib import Path

import matplotlib
import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.release import stale

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
STUDENT_NOTEBOOKS = sorted((EXERCISES / "release").glob("*.ipynb"))


def test_there_are_at_least_ten_exercises_and_their_student_versions_are_up_to_date():
    assert len(sorted((EXERCISES / "source").glob("*.ipynb"))) >= 10
    assert stale(EXERCISES / "source", EXERCISES / "release") == [], (
        "run: python -m dlcore.exercises release exercises/source exercises/release")


def code_cells(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            graded = cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)
            lines = [line for line in cell["source"].splitlines()
                     if not line.lstrip().startswith(("%", "!"))]
            yield "\n".join(lines), graded


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda path: path.stem)
def test_each_graded_check_of_an_untouched_student_notebook_says_not_done_yet(path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(path.parent)
    namespace = {"__name__": "__main__"}
    graded_cells = 0
    for source, graded in code_cells(path):
        with contextlib.redirect_stdout(io.StringIO()):
            if graded:
                graded_cells += 1
                with pytest.raises(ExerciseFailure, match="not done yet"):
                    exec(compile(source, f"{path.name} (graded cell)", "exec"), namespace)
            else:
                with contextlib.suppress(Exception):  # cells using unfinished functions fail
                    exec(compile(source, path.name, "exec"), namespace)
    assert graded_cells > 0, f"{path.name} has no graded cells"
