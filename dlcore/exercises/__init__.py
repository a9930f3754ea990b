"""Classroom exercises: student notebooks generated from solution notebooks, and checks that
explain a wrong answer.

``python -m dlcore.exercises release exercises/source exercises/release`` writes the student
versions; ``dlcore.exercises.checks`` holds the check of every exercise, built on
``dlcore.exercises.feedback``.
"""

from dlcore.exercises.feedback import Case, ExerciseFailure, check_function, check_true
from dlcore.exercises.release import release, stale, student_version

__all__ = ["Case", "ExerciseFailure", "check_function", "check_true", "release", "stale",
           "student_version"]
