"""Find legal but suspicious behaviour by evaluating a compiled schedule.

Compile-time warnings (``Schedule.warnings``) look at arguments. These look
at values, for ``lrdsl check``:

* a rate that goes negative somewhere in ``[0, horizon)``;
* a jump of more than 10x (up or down) where one ``>>`` segment hands over
  to the next.
"""

from __future__ import annotations

import math

import numpy as np

from . import _evaluate as ev
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
    starts = [start for start, _, _ in _boundaries(schedule._root, 0)]
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
    for low in range(0, horizon, CHUNK_STEPS):
        steps = np.arange(low, min(horizon, low + CHUNK_STEPS), dtype=np.int64)
        values = schedule(steps)
        negative = np.flatnonzero(values < 0)
        if negative.size:
            step = int(steps[negative[0]])
            return [
                LrdslWarning(
                    f"the learning rate goes negative: {values[negative[0]]:.6g} "
                    f"at step {step}",
                    span=schedule._root.span,
                    hint="clip it with max(..., 0) or check the signs",
                )
            ]
    return []


def _jumps(schedule: Schedule, horizon: int) -> list[LrdslWarning]:
    found = []
    for boundary, before, after in _boundaries(schedule._root, 0):
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
                    f"the learning rate jumps {factor:.3g}x, from {old:.6g} to "
                    f"{new:.6g}, at step {boundary} where this segment starts",
                    span=after.span,
                    hint="check that the segments meet, for example that a "
                    "warmup ends at the next segment's first value",
                )
            )
    return found


def _boundaries(node: ev.Evaluator, offset: int):
    """Yield (global step, previous part, part) for every ``>>`` hand-over.

    Only chains at the top, or nested in chains and ``for``, are on the
    training clock; chains inside arithmetic or ``global`` are skipped.
    """
    if isinstance(node, ev.WithDuration):
        yield from _boundaries(node.inner, offset)
    elif isinstance(node, ev.Sequence):
        previous = None
        for start, part in zip(node.starts, node.parts, strict=True):
            if part.duration != 0:
                yield offset + start, previous, part
                previous = part
            yield from _boundaries(part, offset + start)
