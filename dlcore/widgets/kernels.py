"""Kernel speed explorer: one matrix product written five ways, timed against the BLAS limit.

Pick a matrix size and the versions to compare; the left plot shows the time of one
product, the right one the speed in GFLOP/s next to the practical limit of the machine (the
speed of BLAS on a large float32 product, measured when the explorer starts, or the
``numpy`` version's speed if that is ever higher). Both use a log scale: the versions
differ by factors of thousands. The timings come from
``dlcore.explore.kernels.time_matmul_versions``.

The pure-Python version runs at most at size ``PYTHON_MAX_SIZE`` (its bar is labelled with
the size it ran at), so that no change of a control keeps the kernel busy for more than a
few seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes

from ..explore.kernels import PYTHON_MAX_SIZE, VERSIONS, blas_limit, time_matmul_versions
from ..plot.style import TICK_SIZE, color, new_figure, style_axes
from ._live import Explorer, LiveFigure, on_change

MAX_SIZE = 512


def kernel_speed_explorer(size: int = 128, versions: Sequence[str] = VERSIONS,
                          repeats: int = 3, limit: float | None = None) -> Explorer:
    """A widget timing ``time_matmul_versions(size, versions, repeats)``; it redraws on change.

    Controls: ``size`` (a slider, 16 to ``MAX_SIZE``) and one checkbox per version (named as
    in ``VERSIONS``). ``result`` holds the latest timings dict and ``limit`` the BLAS limit in
    GFLOP/s: ``limit`` if given, else ``blas_limit()`` measured at the start; it is raised
    whenever ``numpy`` is timed faster.
    """
    controls: dict[str, widgets.Widget] = {
        "size": widgets.IntSlider(value=size, min=16, max=MAX_SIZE, step=16,
                                  description="matrix size", continuous_update=False),
    }
    for version in VERSIONS:
        controls[version] = widgets.Checkbox(value=version in versions, description=version,
                                             indent=False,
                                             layout=widgets.Layout(width="auto"))
    figure, axes = new_figure(1, 2, figsize=(10, 3.6))
    explorer = Explorer(controls, LiveFigure(figure))
    explorer.limit = blas_limit() if limit is None else float(limit)

    def redraw() -> None:
        chosen = [version for version in VERSIONS if controls[version].value]
        results = time_matmul_versions(controls["size"].value, chosen, repeats)
        if "numpy" in results:  # the limit is the best BLAS speed seen so far
            explorer.limit = max(explorer.limit, results["numpy"]["gflops"])
        draw_speeds(results, axes, limit=explorer.limit, size=controls["size"].value)
        explorer.live.refresh()
        explorer.status.value = describe(results, explorer.limit, controls["size"].value)
        explorer.result = results

    on_change(controls, redraw)
    redraw()
    return explorer


def draw_speeds(results: Mapping[str, Mapping[str, float]], axes: Sequence[Axes],
                limit: float | None = None, size: int | None = None,
                what: str = "matrix product") -> None:
    """Bars of ``seconds`` on ``axes[0]`` and of ``gflops`` on ``axes[1]``, both log scale.

    ``results`` maps a version name to a dict with ``seconds`` and ``gflops`` (and ``size``:
    a version timed at another size than ``size`` gets it in its label). ``limit`` (GFLOP/s)
    is drawn as a dashed line on the speed plot.
    """
    time_ax, speed_ax = axes
    time_ax.clear()
    speed_ax.clear()
    names = list(results)
    labels = [_label(name, results[name], size) for name in names]
    positions = np.arange(len(names))
    colors = [color(i) for i in range(len(names))]
    seconds = [results[name]["seconds"] for name in names]
    speeds = [results[name]["gflops"] for name in names]
    time_ax.bar(positions, seconds, color=colors)
    speed_ax.bar(positions, speeds, color=colors)
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xticks(positions, labels, rotation=20, ha="right")
        ax.tick_params(axis="y", which="minor", labelsize=TICK_SIZE)
    if limit is not None:
        speed_ax.axhline(limit, color="black", linestyle="--", linewidth=1,
                         label=f"BLAS limit {limit:.0f} GFLOP/s")
        speed_ax.set_ylim(top=max([limit, *speeds]) * 5)  # room for the legend above the bars
        speed_ax.legend(fontsize="small", loc="upper left")
    title = f"{what}, size {size}" if size is not None else what
    style_axes(time_ax, title=f"time per {title}", ylabel="seconds (log scale)")
    style_axes(speed_ax, title="speed", ylabel="GFLOP/s (log scale)")


def _label(name: str, result: Mapping[str, float], size: int | None) -> str:
    if size is not None and "size" in result and result["size"] != size:
        return f"{name}\n(size {result['size']})"
    return name


def describe(results: Mapping[str, Mapping[str, float]], limit: float, size: int) -> str:
    """One line: the fastest version, its share of the BLAS limit, and any capped size."""
    if not results:
        return "Tick at least one version to time it."
    fastest = max(results, key=lambda name: results[name]["gflops"])
    line = (f"fastest: {fastest}, {results[fastest]['gflops']:.1f} GFLOP/s = "
            f"{results[fastest]['gflops'] / limit:.0%} of the BLAS limit.")
    if "python" in results and size > PYTHON_MAX_SIZE:
        line += f" (python is timed at size {PYTHON_MAX_SIZE} only: it is that slow.)"
    return line
