"""Checks that explain themselves: run a student's function on several cases against a
reference and, when it disagrees, say which case, what was expected, what came back, and a
hint for the mistake it looks like.

A check is a list of ``Case`` objects plus a reference function::

    check_function("relu_backward", relu_backward, reference, cases, hints=[...])

On success it prints one line (``✓ relu_backward: 4 cases agree``). On failure it raises
``ExerciseFailure`` (an ``AssertionError``, so nbgrader and pytest count it as a failed test)
whose message is meant for a student, not a traceback reader. A function that still raises
``NotImplementedError`` is "not done yet".

A hint is a function ``hint(received, expected, case) -> str | None`` that recognises one
common mistake from what came back (for example an array of the batch's shape where a sum
over the batch was due) and returns the advice, or ``None`` when the mistake is not this one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Hint = Callable[[Any, Any, "Case"], "str | None"]


class ExerciseFailure(AssertionError):
    """A check found a wrong answer; the message says what and why, in plain words."""


@dataclass
class Case:
    """One set of inputs: ``label`` says what it is ("batch of 1", "negative inputs", ...)."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def copies(self) -> tuple[tuple, dict]:
        """Fresh copies of the inputs, so a function that writes into them cannot spoil the
        reference's run."""
        copy = lambda value: value.copy() if isinstance(value, np.ndarray) else value  # noqa: E731
        return tuple(copy(a) for a in self.args), {k: copy(v) for k, v in self.kwargs.items()}


def not_done_message(name: str) -> str:
    return (f"{name}: not done yet. Replace the line `raise NotImplementedError()` in "
            f"{name} with your code, run that cell again, then this one.")


def call_student(name: str, function: Callable, case: Case) -> Any:
    """``function(*case.args, **case.kwargs)``; a ``NotImplementedError`` becomes "not done yet"
    and any other exception a message naming the case."""
    args, kwargs = case.copies()
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise ExerciseFailure(not_done_message(name)) from None
    except Exception as error:  # the student's code failed: say where, keep the cause attached
        raise ExerciseFailure(f"{name} raised {type(error).__name__} on the case "
                              f"'{case.label}': {error}") from error


def call_student_for(what: str, name: str, function: Callable, case: Case) -> Any:
    """``call_student``, and a result that is not None: ``what`` names that result ("the
    mask") in the message that a forgotten ``return`` gets."""
    result = call_student(name, function, case)
    if result is None:
        raise ExerciseFailure(f"{name} returned None on the case '{case.label}': did the "
                              f"function forget to `return` {what}?")
    return result


def result_array(value: Any, dtype: Any = None) -> np.ndarray | None:
    """``value`` as an array, or None when it is no number or array (None, a tuple, ...): hints
    inspect what came back without tripping over an unexpected type."""
    if value is None or isinstance(value, tuple | list):
        return None
    return np.asarray(value, dtype=dtype)


def _parts(value: Any) -> list:
    return list(value) if isinstance(value, tuple | list) else [value]


def difference(received: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """``None`` when ``received`` matches ``expected`` (arrays or tuples of arrays) within the
    tolerances, else a sentence saying how they differ: count, shape, or the worst entry."""
    received_parts, expected_parts = _parts(received), _parts(expected)
    if len(received_parts) != len(expected_parts):
        return (f"expected {len(expected_parts)} result(s), received {len(received_parts)} "
                f"(return them as a tuple in the order the docstring gives)")
    for position, (got, want) in enumerate(zip(received_parts, expected_parts, strict=True)):
        which = f"result {position + 1}: " if len(expected_parts) > 1 else ""
        if got is None:
            return f"{which}received None: did the function forget to `return` its result?"
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape:
            return f"{which}expected shape {want.shape}, received shape {got.shape}"
        if not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
            return f"{which}received non-finite values (nan or inf) where all should be finite"
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            if want.size == 1:
                return f"{which}expected {want.item():.6g}, received {got.item():.6g}"
            error = np.abs(got.astype(np.float64) - want)
            worst = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)),
                                     error.shape)
            return (f"{which}{int((~np.isclose(got, want, rtol=rtol, atol=atol)).sum())} of "
                    f"{want.size} entries differ; the largest difference is at index "
                    f"{tuple(int(i) for i in worst)}: expected {want[worst]:.6g}, "
                    f"received {got[worst]:.6g}")
    return None


def check_function(
    name: str,
    student: Callable,
    reference: Callable,
    cases: Sequence[Case],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    hints: Sequence[Hint] = (),
) -> None:
    """Compare ``student`` with ``reference`` on every case; explain the first disagreement."""
    for case in cases:
        received = call_student(name, student, case)
        args, kwargs = case.copies()
        expected = reference(*args, **kwargs)
        problem = difference(received, expected, rtol, atol)
        if problem is None:
            continue
        advice = [text for hint in hints if (text := hint(received, expected, case))]
        message = f"{name} is not right yet on the case '{case.label}': {problem}."
        if advice:
            message += "\nHint: " + "\nHint: ".join(advice)
        raise ExerciseFailure(message)
    print(f"✓ {name}: {len(cases)} cases agree with the reference")


def check_true(name: str, condition: bool, explanation: str) -> None:
    """A yes/no check (for example "your kernel is at least 5x faster than the loop"):
    ``explanation`` says what should hold and how to get there."""
    if not condition:
        raise ExerciseFailure(f"{name}: {explanation}")
    print(f"✓ {name}")
