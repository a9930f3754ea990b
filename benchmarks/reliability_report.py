"""The reliability report: run the reliability tests and print what they measured.

    python -m benchmarks.reliability_report [more pytest arguments, e.g. -x or -k kill]

The tests run in this process (``pytest.main``) with a plugin that counts their outcomes
and adds up the numbers they record with pytest's ``record_property``: fuzz cases tried,
kills during a save and how many of them the model file survived, bytes of good files lost
to a kill, arrays compared bit for bit for determinism, memory growth over long runs. The
op tables (``tests/op_table.py``, and ``tests/nn_op_table.py`` where it exists) are counted
from their entries. Every number printed is measured or counted, none is typed in.
"""

from __future__ import annotations

import collections
import dataclasses
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_FILES = [
    "tests/test_numerical_robustness.py",
    "tests/test_silent_errors.py",
    "tests/test_crash_safety.py",
    "tests/test_long_runs.py",
    "tests/test_determinism.py",
    "tests/test_numba_cache.py",
]
OP_TABLES = ["tests.op_table", "tests.nn_op_table"]


class Tally:
    """A pytest plugin: outcomes of the tests, and the sum of each recorded property."""

    def __init__(self) -> None:
        self.outcomes: collections.Counter = collections.Counter()
        self.recorded: collections.Counter = collections.Counter()
        self.failures: list[str] = []

    def pytest_configure(self, config) -> None:
        config.addinivalue_line("markers", "slow: long-running reliability checks")

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            self.outcomes[report.outcome] += 1
            for name, value in report.user_properties:
                self.recorded[name] += value
        elif report.outcome == "skipped":  # skipped before the test body ran
            self.outcomes["skipped"] += 1
        elif report.outcome == "failed":
            self.outcomes["error"] += 1
        if report.outcome == "failed":
            self.failures.append(f"{report.nodeid} ({report.when})")


def op_table_counts(module_name: str) -> tuple[int, int] | None:
    """``(ops, entries)`` of an op table module: its entries are the dataclass instances in
    its module-level lists (an op is a distinct ``name``), and each ``<OP>_SHAPES`` list of
    shapes adds the op ``<op>``. None when the module does not exist."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    entries, names = {}, set()
    for attribute, value in vars(module).items():
        if not isinstance(value, list):
            continue
        if attribute.endswith("_SHAPES"):
            names.add(attribute.removesuffix("_SHAPES").lower())
            continue
        for item in value:
            if dataclasses.is_dataclass(item) and hasattr(item, "name"):
                entries[id(item)] = item
                names.add(item.name)
    return len(names), len(entries)


def kib(value: float) -> str:
    return f"{value / 1024:,.1f} KiB"


def report_lines(tally: Tally) -> list[str]:
    tables = []
    for module_name in OP_TABLES:
        counts = op_table_counts(module_name)
        if counts is not None:
            path = module_name.replace(".", "/") + ".py"
            tables.append(f"{counts[0]} ops ({counts[1]} entries) in {path}")
    outcomes, recorded = tally.outcomes, tally.recorded
    cases = sum(outcomes.values())
    kills = recorded["kills"]
    lines = [
        "dlcore reliability report",
        f"  op tables            {'; '.join(tables) or 'none found'}",
        f"  test cases run       {cases} (passed {outcomes['passed']}, failed "
        f"{outcomes['failed']}, errors {outcomes['error']}, skipped {outcomes['skipped']})",
        f"  fuzz cases tried     {recorded['fuzz_cases']:,}",
        f"  kills during saves   {kills}: the file survived {recorded['kills_survived']} "
        f"({recorded['interrupted_saves']} kills landed inside a save)",
        f"  bytes lost           {recorded['bytes_lost']:,}",
        f"  determinism checks   {recorded['determinism_checks']} arrays compared bit for bit",
        f"  long-run growth      traced {kib(recorded['traced_growth_bytes'])}, resident "
        f"{kib(recorded['rss_growth_bytes'])} (first to last quarter, summed over runs)",
    ]
    return lines + [f"  failed               {failure}" for failure in tally.failures]


def main(arguments: list[str]) -> int:
    tally = Tally()
    status = pytest.main([*(str(ROOT / path) for path in TEST_FILES), "-q", *arguments],
                         plugins=[tally])
    print("\n".join(report_lines(tally)))
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
