"""How long dlcore takes to start: the import, and the first training step.

Run from the repository root:  python -m benchmarks.startup

Every number comes from fresh Python processes, the median of several:

1. ``import dlcore``, wall and CPU time, against the target of 1 s; then the modules that
   take longest with everything they import in turn (``python -X importtime``), and the
   import time of each top-level package on its own;
2. a check that the import compiled nothing: with every module of ``dlcore.kernels``
   imported, no numba kernel of dlcore has a compiled signature yet;
3. the first training step of the 784 MLP and of LeNet-5 (built as in
   ``benchmarks.training_steps``): with an empty numba cache (``NUMBA_CACHE_DIR`` an empty
   temporary folder, so every kernel compiles), then in a later process with the cache
   that one left (kernels load from disk), against the target of 2 s.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import statistics
import subprocess
import sys
import tempfile
import time

MODULE = "benchmarks.startup"
REPEATS = 5  # fresh processes per import measurement
CACHE_REPEATS = 3  # empty numba caches per workload, each followed by one warm process
IMPORT_TARGET, FIRST_STEP_TARGET = 1.0, 2.0  # seconds, wall
WORKLOADS = ("MLP 784-256-128-10, b128, Adam", "LeNet-5, b64, SGD momentum")


def in_fresh_process(*arguments: str, **environment: str) -> dict:
    """This script run with ``arguments`` in a new process; the JSON line it prints.

    ``benchmarks._timing`` is imported here, not at the top, because it imports numpy: the
    new process must import nothing heavy before it times ``import dlcore``.
    """
    from benchmarks._timing import run_fresh_process

    return run_fresh_process(MODULE, *arguments, **environment)


def import_in_this_process() -> dict:
    """Seconds of ``import dlcore`` here (wall and CPU), and which kernels it compiled."""
    wall, cpu = time.perf_counter(), time.process_time()
    import dlcore

    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    from numba.core.dispatcher import Dispatcher

    for module in pkgutil.iter_modules(dlcore.kernels.__path__, "dlcore.kernels."):
        importlib.import_module(module.name)
    kernels = {f"{value.py_func.__module__}.{value.__name__}": value
               for name, module in list(sys.modules.items()) if name.startswith("dlcore")
               for value in vars(module).values() if isinstance(value, Dispatcher)}
    compiled = sorted(label for label, kernel in kernels.items() if kernel.signatures)
    return {"wall": wall, "cpu": cpu, "kernels": len(kernels), "compiled": compiled}


def first_step_in_this_process(name: str) -> dict:
    """Seconds (wall and CPU) of the first training step of the workload called ``name``."""
    from benchmarks.training_steps import build_step

    step = build_step("dlcore", name)
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def import_profile() -> dict[str, tuple[float, float]]:
    """``python -X importtime -c "import dlcore"`` in a fresh process: for each module that
    ``import dlcore`` loads, its own import seconds and its cumulative seconds (with the
    modules it imports)."""
    command = [sys.executable, "-X", "importtime", "-c", "import dlcore"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    lines = [line for line in output.splitlines() if line.startswith("import time:")]
    profile = {}
    for line in lines[1:]:  # after the header line
        own, cumulative, indented_name = line.removeprefix("import time:").split("|")
        module = indented_name.strip()
        profile[module] = (int(own) / 1e6, int(cumulative) / 1e6)
        if module == "dlcore":
            return profile
        if indented_name == f" {module}":  # unindented: imported as Python started
            profile = {}
    raise RuntimeError(f"no import of dlcore in the output of {command}")


def print_import_profile() -> None:
    """The ten slowest modules counting what they import, and each package's own time."""
    runs = [import_profile() for _ in range(REPEATS)]
    cumulative = {module: statistics.median(run[module][1] for run in runs)
                  for module in runs[0] if all(module in run for run in runs)}
    print(f"\nslowest imports, with what they import (python -X importtime, median of "
          f"{REPEATS}):")
    for module in sorted(cumulative, key=cumulative.get, reverse=True)[:10]:
        print(f"  {cumulative[module]:6.3f} s  {module}")
    packages: dict[str, float] = {}
    for run in runs:
        for module, (own, _) in run.items():
            package = module.split(".")[0]
            packages[package] = packages.get(package, 0.0) + own / REPEATS
    largest = sorted(packages, key=packages.get, reverse=True)[:6]
    print("own import time per package (mean): "
          + ", ".join(f"{package} {packages[package]:.3f} s" for package in largest))


def verdict(seconds: float, target: float) -> str:
    return f"target under {target:.0f} s: {'met' if seconds < target else 'MISSED'}"


def print_first_steps() -> None:
    """The first training step of each workload with an empty and with a warm numba cache."""
    print(f"\nfirst training step in a fresh process (median of {CACHE_REPEATS}; wall, CPU):")
    print(f"  {'workload':<32}  {'empty cache':>16}  {'warm cache':>16}")
    for name in WORKLOADS:
        cold, warm = [], []
        for _ in range(CACHE_REPEATS):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(in_fresh_process("--first-step", name, NUMBA_CACHE_DIR=cache))
                warm.append(in_fresh_process("--first-step", name, NUMBA_CACHE_DIR=cache))
        cells = [(statistics.median(run["wall"] for run in runs),
                  statistics.median(run["cpu"] for run in runs)) for runs in (cold, warm)]
        print(f"  {name:<32}" + "".join(f"  {wall:5.2f} s, {cpu:5.2f} s" for wall, cpu in cells)
              + f"  ({verdict(cells[1][0], FIRST_STEP_TARGET)})")


def main() -> None:
    print(f"Python {sys.version.split()[0]}; wall times move with other work on the same cores, "
          "CPU times less so.")
    imports = [in_fresh_process("--import") for _ in range(REPEATS)]
    wall = statistics.median(run["wall"] for run in imports)
    cpu = statistics.median(run["cpu"] for run in imports)
    print(f"import dlcore: {wall:.2f} s wall, {cpu:.2f} s CPU (median of {REPEATS} processes; "
          f"{verdict(wall, IMPORT_TARGET)})")
    compiled = sorted({label for run in imports for label in run["compiled"]})
    print(f"import compiles nothing: {'pass' if not compiled else 'FAIL'} "
          f"({imports[0]['kernels']} numba kernels, {len(compiled)} compiled by the import"
          + (f": {', '.join(compiled)})" if compiled else ")"))
    print_import_profile()
    print_first_steps()


if __name__ == "__main__":
    if sys.argv[1:] == ["--import"]:
        print(json.dumps(import_in_this_process()))
    elif sys.argv[1:2] == ["--first-step"]:
        print(json.dumps(first_step_in_this_process(sys.argv[2])))
    else:
        main()
