"""The check of every exercise, one module per topic (``dlcore.exercises.checks.softmax``, ...).

Each check runs the student's function on several cases against a reference implementation
and explains a disagreement with a hint for the common mistake it looks like.
"""
