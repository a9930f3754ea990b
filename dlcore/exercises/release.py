"""Student versions of exercise notebooks, generated from the solution notebooks.

A source notebook holds the solution between nbgrader's markers, so an instructor's nbgrader
can use it unchanged::

    def relu(x):
        ### BEGIN SOLUTION
        return np.maximum(x, 0)
        ### END SOLUTION

The student version replaces each marked region of a code cell with ``raise
NotImplementedError()`` (indented like the marker), each marked region of a markdown cell with
"YOUR ANSWER HERE", drops the regions between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
TESTS``, and clears every output (and the timings Jupyter records of each run). Notebooks are
JSON; the files are written the way Jupyter writes them (one-space indent, sorted keys), so
that a regenerated notebook is byte-identical when nothing changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_STUB = ("YOUR ANSWER HERE",)


def replace_regions(source: str, markers: tuple[str, str], stub: tuple[str, ...],
                    where: str = "cell") -> str:
    """``source`` with every region between ``markers`` (marker lines included) replaced by the
    ``stub`` lines, indented like the opening marker. Unbalanced markers are an error."""
    begin, end = markers
    lines, kept, opened_at = source.split("\n"), [], None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == begin:
            if opened_at is not None:
                raise ValueError(f"{where}, line {number}: '{begin}' inside the region opened "
                                 f"on line {opened_at}; close it with '{end}' first")
            opened_at = number
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(indent + stub_line for stub_line in stub)
        elif stripped == end:
            if opened_at is None:
                raise ValueError(f"{where}, line {number}: '{end}' without a '{begin}' before it")
            opened_at = None
        elif opened_at is None:
            kept.append(line)
    if opened_at is not None:
        raise ValueError(f"{where}, line {opened_at}: '{begin}' is never closed by '{end}'")
    return "\n".join(kept)


def _source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def student_version(notebook: dict, name: str = "notebook") -> dict:
    """A copy of ``notebook`` with the solutions and hidden tests taken out and no outputs."""
    student = copy.deepcopy(notebook)
    for index, cell in enumerate(student["cells"]):
        where = f"{name}, cell {index}"
        text = _source_text(cell)
        if cell["cell_type"] == "code":
            text = replace_regions(text, SOLUTION, CODE_STUB, where)
            text = replace_regions(text, HIDDEN_TESTS, (), where)
            cell["outputs"], cell["execution_count"] = [], None
            cell.get("metadata", {}).pop("execution", None)  # timings of the solution's run
        elif cell["cell_type"] == "markdown":
            text = replace_regions(text, SOLUTION, ANSWER_STUB, where)
        cell["source"] = text
    return student


def notebook_text(notebook: dict) -> str:
    """The file contents Jupyter would write for ``notebook``."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _pairs(source_dir: Path, release_dir: Path) -> list[tuple[Path, Path]]:
    sources = sorted(Path(source_dir).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no exercise notebooks (*.ipynb) in {source_dir}")
    return [(source, Path(release_dir) / source.name) for source in sources]


def _released_text(source: Path) -> str:
    notebook = json.loads(source.read_text(encoding="utf-8"))
    return notebook_text(student_version(notebook, source.name))


def release(source_dir: str | Path, release_dir: str | Path) -> list[Path]:
    """Write the student version of every notebook in ``source_dir`` to ``release_dir``."""
    Path(release_dir).mkdir(parents=True, exist_ok=True)
    written = []
    for source, target in _pairs(Path(source_dir), Path(release_dir)):
        target.write_text(_released_text(source), encoding="utf-8")
        written.append(target)
    return written


def stale(source_dir: str | Path, release_dir: str | Path) -> list[str]:
    """Names of the student notebooks that are missing, out of date, or have no source."""
    pairs = _pairs(Path(source_dir), Path(release_dir))
    problems = []
    for source, target in pairs:
        if not target.exists():
            problems.append(f"{target.name}: missing")
        elif target.read_text(encoding="utf-8") != _released_text(source):
            problems.append(f"{target.name}: out of date")
    sources = {source.name for source, _ in pairs}
    extras = sorted(Path(release_dir).glob("*.ipynb"))
    problems += [f"{extra.name}: no source notebook" for extra in extras
                 if extra.name not in sources]
    return problems
