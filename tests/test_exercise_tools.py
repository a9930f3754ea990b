"""The exercise tooling: student versions generated from solutions, the command line, and the
feedback checks' messages."""

import json

import numpy as np
import pytest

from dlcore.exercises import Case, ExerciseFailure, check_function, check_true
from dlcore.exercises.__main__ import main
from dlcore.exercises.release import notebook_text, replace_regions, student_version

SOLUTION_CODE = """import numpy as np

def relu(x):
    \"\"\"max(x, 0)\"\"\"
    ### BEGIN SOLUTION
    return np.maximum(x, 0)
    ### END SOLUTION
"""


def notebook(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def code_cell(source, graded=False):
    metadata = {"nbgrader": {"grade": graded, "solution": not graded, "grade_id": "cell"},
                "execution": {"iopub.status.idle": "2026-01-01T00:00:00Z"}}
    return {"cell_type": "code", "execution_count": 3, "id": "c", "metadata": metadata,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi\n"}],
            "source": source}


def test_the_solution_becomes_a_stub_indented_like_its_marker():
    stub = replace_regions(SOLUTION_CODE, ("### BEGIN SOLUTION", "### END SOLUTION"),
                           ("# YOUR CODE HERE", "raise NotImplementedError()"))
    assert "np.maximum" not in stub
    assert '    """max(x, 0)"""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n' in stub
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError):
        namespace["relu"](np.ones(2))


def test_student_version_drops_solutions_hidden_tests_and_outputs_and_keeps_metadata():
    tests = ("assert relu(1) == 1\n### BEGIN HIDDEN TESTS\nassert relu(-1) == 0\n"
             "### END HIDDEN TESTS")
    answer = {"cell_type": "markdown", "id": "m", "metadata": {},
              "source": ["Why?\n", "### BEGIN SOLUTION\n", "Because.\n", "### END SOLUTION"]}
    source = notebook(code_cell(SOLUTION_CODE), code_cell(tests, graded=True), answer)
    student = student_version(source)
    code, graded, text = student["cells"]
    assert "raise NotImplementedError()" in code["source"] and "maximum" not in code["source"]
    assert graded["source"] == "assert relu(1) == 1"
    assert text["source"] == "Why?\nYOUR ANSWER HERE"
    assert code["outputs"] == [] and code["execution_count"] is None
    assert graded["metadata"]["nbgrader"]["grade"] is True
    assert "execution" not in graded["metadata"], "run timings would make releases differ"
    assert source["cells"][0]["outputs"], "the solution notebook itself is left untouched"


@pytest.mark.parametrize(("source", "match"), [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside the region"),
])
def test_unbalanced_markers_are_errors_naming_the_notebook_cell_and_line(source, match):
    with pytest.raises(ValueError, match=rf"lesson.ipynb, cell 0, line \d: .*{match}"):
        student_version(notebook(code_cell(source)), "lesson.ipynb")


def test_release_and_check_from_the_command_line(tmp_path, capsys):
    source, release = tmp_path / "source", tmp_path / "release"
    source.mkdir()
    (source / "01_relu.ipynb").write_text(notebook_text(notebook(code_cell(SOLUTION_CODE))))
    assert main(["check", str(source), str(release)]) == 1
    assert "01_relu.ipynb: missing" in capsys.readouterr().out
    assert main(["release", str(source), str(release)]) == 0
    released = json.loads((release / "01_relu.ipynb").read_text())
    assert "NotImplementedError" in released["cells"][0]["source"]
    assert main(["check", str(source), str(release)]) == 0
    (source / "01_relu.ipynb").write_text(
        notebook_text(notebook(code_cell(SOLUTION_CODE.replace("maximum", "fmax")),
                               code_cell("relu(1)"))))
    (release / "99_old.ipynb").write_text("{}")
    assert main(["check", str(source), str(release)]) == 1
    output = capsys.readouterr().out
    assert "01_relu.ipynb: out of date" in output and "99_old.ipynb: no source" in output


def reference_bias_gradient(g):
    return g.sum(axis=0)


def not_summed(received, expected, case):
    if np.shape(received) == case.args[0].shape:
        return "sum the gradient over the batch axis: db = g.sum(axis=0)"
    return None


CASES = [Case("a batch of 3", (np.arange(6.0).reshape(3, 2),))]


def test_a_correct_answer_passes_and_says_so(capsys):
    check_function("bias_gradient", reference_bias_gradient, reference_bias_gradient, CASES)
    assert "✓ bias_gradient: 1 cases agree" in capsys.readouterr().out


def test_a_wrong_shape_names_the_case_both_shapes_and_the_matching_hint():
    with pytest.raises(ExerciseFailure) as failure:
        check_function("bias_gradient", lambda g: g, reference_bias_gradient, CASES,
                       hints=[not_summed])
    message = str(failure.value)
    assert "'a batch of 3'" in message and "expected shape (2,), received shape (3, 2)" in message
    assert "Hint: sum the gradient over the batch axis" in message


def test_wrong_values_point_at_the_worst_entry_and_hints_stay_quiet_when_they_do_not_apply():
    with pytest.raises(ExerciseFailure) as failure:
        check_function("bias_gradient", lambda g: g.sum(axis=0) * [1, 2],
                       reference_bias_gradient, CASES, hints=[not_summed])
    message = str(failure.value)
    assert "index (1,): expected 9, received 18" in message and "Hint" not in message


def test_unfinished_functions_are_not_done_yet_and_crashes_name_the_case():
    def unfinished(g):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="bias_gradient: not done yet"):
        check_function("bias_gradient", unfinished, reference_bias_gradient, CASES)
    with pytest.raises(ExerciseFailure, match="raised IndexError on the case 'a batch of 3'"):
        check_function("bias_gradient", lambda g: g[7], reference_bias_gradient, CASES)
    with pytest.raises(ExerciseFailure, match="received None: did the function forget"):
        check_function("bias_gradient", lambda g: None, reference_bias_gradient, CASES)


def test_a_function_writing_into_its_input_cannot_change_the_reference():
    def in_place(g):
        g *= 0
        return g.sum(axis=0)

    with pytest.raises(ExerciseFailure, match="expected 9, received 0"):
        check_function("bias_gradient", in_place, reference_bias_gradient, CASES)


def test_non_finite_results_are_reported_as_such():
    with pytest.raises(ExerciseFailure, match="non-finite values"):
        check_function("bias_gradient", lambda g: np.array([np.nan, 1.0]),
                       reference_bias_gradient, CASES)


def test_check_true_explains_what_should_hold(capsys):
    check_true("speed", True, "unused")
    assert "✓ speed" in capsys.readouterr().out
    with pytest.raises(ExerciseFailure, match="speed: the kernel should be 5x faster"):
        check_true("speed", False, "the kernel should be 5x faster")


def test_a_single_number_is_compared_without_an_index():
    with pytest.raises(ExerciseFailure, match=r"'one number': expected 2, received 3\.$"):
        check_function("total", lambda x: x.sum() + 1, lambda x: x.sum(),
                       [Case("one number", (np.ones(2),))])
