"""Find legal but suspicious behaviour by evaluating a compiled schedule.

Compile-time warnings (``Schedule.warnings``) look at arguments. These look
at values, for ``lrdsl check``:

* a rate that goes negative, or is infinite or NaN, somewhere in
  ``[0, horizon)``;
* a jump of more than 10x (up or down) where one ``>>`` segment hands over
  to the next.
"""

from __future__ import annotations

import math

import numpy as np

from . import _evaluate as ev
from ._explain import same_clock_chain
from ._schedule import Schedule
from .errors import LrdslWarning, Source

# Rates are scanned in chunks of this many steps, to bound memory.
CHUNK_STEPS = 1_000_000
# Without total_steps or a finite duration, scan this far past the last
# segment start (an estimate of "long enough to see the shape").
DEFAULT_TAIL_STEPS = 100_000
JUMP_FACTOR = 10.0


def horizon_of(schedule: Schedule, total_steps: int | None) -> int:
    """Return how many steps to scan: total_steps, else the duration, else
    the last segment start plus DEFAULT_TAIL_STEPS."""
    if total_steps is not None:
        return total_steps
    if math.isfinite(schedule.duration):
        return int(schedule.duration)
    starts = [start for start, _, _ in segment_boundaries(schedule._root, 0)]
    return max(starts, default=0) + DEFAULT_TAIL_STEPS


def analyze(schedule: Schedule, horizon: int | None = None) -> list[LrdslWarning]:
    """Return warnings about the values of ``schedule`` on ``[0, horizon)``.

    ``horizon`` defaults to :func:`horizon_of` without ``total_steps``.
    """
    if horizon is None:
        horizon = horizon_of(schedule, None)
    source = getattr(schedule, "source", None) or Source(schedule.text)
    found = _negative(schedule, horizon) + _jumps(schedule, horizon)
    for warning in found:
        warning.with_source(source)
    return found


def _negative(schedule: Schedule, horizon: int) -> list[LrdslWarning]:
    """Report the first non-finite and the first negative rate, if any."""
    nonfinite = negative = None
    for low in range(0, horizon, CHUNK_STEPS):
        steps = np.arange(low, min(horizon, low + CHUNK_STEPS), dtype=np.int64)
        values = schedule(steps)
        if nonfinite is None:
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                nonfinite = (int(steps[bad[0]]), float(values[bad[0]]))
        if negative is None:
            below = np.flatnonzero(values < 0)
            if below.size:
                negative = (int(steps[below[0]]), float(values[below[0]]))
        if nonfinite is not None and negative is not None:
            break

    found = []
    span = schedule._root.span
    if nonfinite is not None:
        step, value = nonfinite
        found.append(
            LrdslWarning(
                f"the learning rate is {value} at step {step}",
                span=span,
                hint="check for a division by a schedule that reaches 0, "
                "or a decay factor that overflows",
            )
        )
    if negative is not None:
        step, value = negative
        found.append(
            LrdslWarning(
                f"the learning rate goes negative: {value:.6g} at step {step}",
                span=span,
                hint="clip it with max(..., 0) or check the signs",
            )
        )
    return found


def _jumps(schedule: Schedule, horizon: int) -> list[LrdslWarning]:
    found = []
    for boundary, before, after in segment_boundaries(schedule._root, 0):
        if not 0 < boundary < horizon or before is None:
            continue
        old, new = schedule(boundary - 1), schedule(boundary)
        if old == 0 or new == 0 or not (math.isfinite(old) and math.isfinite(new)):
            continue
        ratio = abs(new / old)
        factor = ratio if ratio > 1 else 1 / ratio
        # A drop of exactly 10x, common in step schedules, must not warn
        # because of float rounding (0.01 / 0.1 < 0.1).
        if factor > JUMP_FACTOR * (1 + 1e-9):
            found.append(
                LrdslWarning(
                    f"the learning rate jumps {factor:.4g}x, from {old:.6g} to "
                    f"{new:.6g}, at step {boundary} where this segment starts",
                    span=after.span,
                    hint="check that the segments meet, for example that a "
                    "warmup ends at the next segment's first value",
                )
            )
    return found


def segment_boundaries(node: ev.Evaluator, offset: int):
    """Yield (global step, previous part, part) for every ``>>`` hand-over.

    Only chains at the top, or nested in chains, ``for`` and ``lars``, are
    on the training clock; chains inside arithmetic or ``global`` are
    skipped.
    """
    chain = same_clock_chain(node)
    if chain is not None:
        previous = None
        for start, part in zip(chain.starts, chain.parts, strict=True):
            if part.duration != 0:
                yield offset + start, previous, part
                previous = part
            yield from segment_boundaries(part, offset + start)
