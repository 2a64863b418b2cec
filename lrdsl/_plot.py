"""Plot schedules: a text plot for terminals and a PNG through matplotlib.

The text plot needs nothing beyond numpy. Each column covers a run of steps
and draws the range of values the schedule takes there, so a drop inside a
column shows as a vertical stroke rather than vanishing between samples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._analysis import segment_boundaries
from ._schedule import Schedule
from .errors import LrdslError

MARKS = "*o+x#@%&"
# At most this many steps are evaluated per schedule; longer ranges are
# sampled evenly (plus every segment boundary).
MAX_SAMPLES = 1_000_000


def sample(schedule: Schedule, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (steps, rates) over ``[start, stop)``, sampled if long."""
    if stop - start <= MAX_SAMPLES:
        steps = np.arange(start, stop, dtype=np.int64)
    else:
        steps = np.linspace(start, stop - 1, MAX_SAMPLES).astype(np.int64)
        marks = boundaries(schedule, start, stop)
        extra = [b - 1 for b in marks] + marks
        steps = np.sort(np.concatenate([steps, np.asarray(extra, dtype=np.int64)]))
        # np.unique is much slower here (about 0.9 s for a million sorted
        # steps with numpy 2.4); dropping repeats of a sorted array is enough.
        steps = steps[np.concatenate(([True], steps[1:] != steps[:-1]))]
    return steps, schedule(steps)


def boundaries(schedule: Schedule, start: int, stop: int) -> list[int]:
    """Return the global steps in ``(start, stop)`` where a segment starts."""
    found = {b for b, _, _ in segment_boundaries(schedule._root, 0) if start < b < stop}
    return sorted(found)


def text_plot(
    schedules: Mapping[str, Schedule],
    start: int,
    stop: int,
    *,
    width: int = 72,
    height: int = 16,
) -> str:
    """Return a text plot of ``schedules`` over ``[start, stop)``.

    The left axis is the learning rate and the bottom axis the step; a
    legend follows when there is more than one schedule.
    """
    if stop <= start:
        raise LrdslError(f"empty step range [{start}, {stop})")
    height = max(height, 10)
    columns = min(width, stop - start)
    edges = np.linspace(start, stop, columns + 1)
    series = {
        name: sample(schedule, start, stop) for name, schedule in schedules.items()
    }
    finite = [values[np.isfinite(values)] for _, values in series.values()]
    finite = [values for values in finite if values.size]
    if not finite:
        raise LrdslError("nothing to plot: every rate in the range is NaN or inf")
    low, high = _value_range(finite)

    grid = [[" "] * columns for _ in range(height)]
    for index, (steps, values) in enumerate(series.values()):
        mark = MARKS[index % len(MARKS)]
        column_of = np.clip(
            np.searchsorted(edges, steps, side="right") - 1, 0, columns - 1
        )
        for column in range(columns):
            chosen = values[(column_of == column) & np.isfinite(values)]
            if not chosen.size:
                continue
            top = _row(float(chosen.max()), low, high, height)
            bottom = _row(float(chosen.min()), low, high, height)
            for row in range(top, bottom + 1):
                grid[row][column] = mark

    labels = {
        0: _number(high),
        height // 2: _number(low + (high - low) / 2),
        height - 1: _number(low),
    }
    label_width = max(len(label) for label in labels.values())
    lines = ["lr"]
    for row in range(height):
        label = labels.get(row, "")
        lines.append(f"{label:>{label_width}} |{''.join(grid[row])}")
    ticks = [" "] * columns
    for schedule in schedules.values():
        for boundary in boundaries(schedule, start, stop):
            column = int(np.searchsorted(edges, boundary, side="right") - 1)
            ticks[min(max(column, 0), columns - 1)] = "^"
    lines.append(f"{'':>{label_width}} +{''.join(ticks)}")
    left, right = str(start), str(stop - 1)
    middle = str((start + stop - 1) // 2)
    axis = left + middle.center(columns - len(left) - len(right)) + right
    lines.append(f"{'':>{label_width}}  {axis}  step")
    if any(boundaries(schedule, start, stop) for schedule in schedules.values()):
        lines.append(f"{'':>{label_width}}  ^ a segment starts")
    if len(schedules) > 1:
        for index, name in enumerate(schedules):
            lines.append(f"{'':>{label_width}}  {MARKS[index % len(MARKS)]} {name}")
    return "\n".join(lines)


def _value_range(finite: list) -> tuple[float, float]:
    """Return the plotted range of rates, with room when all are equal.

    Raises:
      LrdslError: the rates span more than float64 can subtract.
    """
    low = min(float(values.min()) for values in finite)
    high = max(float(values.max()) for values in finite)
    if not math.isfinite(high - low):
        raise LrdslError(
            f"cannot plot rates from {low:.4g} to {high:.4g}: their difference "
            "is beyond the float64 range",
            hint="plot a range of steps where the rates are closer",
        )
    if high == low:
        margin = abs(high) * 0.5 or 1e-12
        if math.isfinite(high + margin) and math.isfinite(low - margin):
            return low - margin, high + margin
        return (low - margin, high) if high > 0 else (low, high + margin)
    return low, high


def _row(value: float, low: float, high: float, height: int) -> int:
    fraction = (value - low) / (high - low)
    return min(height - 1, max(0, round((1 - fraction) * (height - 1))))


def _number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def png_plot(
    schedules: Mapping[str, Schedule], start: int, stop: int, path: str
) -> None:
    """Write a PNG plot of ``schedules`` over ``[start, stop)`` to ``path``.

    Segment boundaries are drawn as dotted vertical lines. Needs matplotlib
    (``pip install 'lrdsl[plot]'``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LrdslError(
            "writing a PNG needs matplotlib, which is not installed",
            hint="pip install 'lrdsl[plot]', or leave out -o for a text plot",
        ) from None
    series = {
        name: sample(schedule, start, stop) for name, schedule in schedules.items()
    }
    finite = [values[np.isfinite(values)] for _, values in series.values()]
    finite = [values for values in finite if values.size]
    if not finite:
        raise LrdslError("nothing to plot: every rate in the range is NaN or inf")
    _value_range(finite)
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        marked: set[int] = set()
        for name, schedule in schedules.items():
            steps, values = series[name]
            axes.plot(steps, values, label=name, linewidth=1.5)
            for boundary in boundaries(schedule, start, stop):
                if boundary not in marked:
                    axes.axvline(boundary, color="0.6", linestyle=":", linewidth=1)
                    marked.add(boundary)
        axes.set_xlabel("step")
        axes.set_ylabel("learning rate")
        axes.grid(True, alpha=0.3)
        if len(schedules) > 1:
            axes.legend()
        try:
            figure.tight_layout()
            figure.savefig(path, format="png")
        except OSError as error:
            raise LrdslError(f"cannot write {path}: {error.strerror}") from None
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            # matplotlib fails on axes spans near the float64 limits.
            raise LrdslError(
                f"matplotlib could not draw these rates: {error}"
            ) from None
    finally:
        plt.close(figure)
