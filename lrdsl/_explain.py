"""Break a compiled schedule into its ``>>`` segments, for ``lrdsl explain``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import _evaluate as ev
from ._schedule import Schedule


@dataclass(frozen=True)
class Segment:
    """One part of a ``>>`` chain, placed on the training clock.

    ``end`` and ``duration`` are ``math.inf`` for a segment with no end, and
    ``last`` (the value at step ``end - 1``) is then ``None``. ``depth`` is 0
    for parts of the top-level chain and grows for chains inside them.
    """

    start: int
    end: int | float
    duration: int | float
    first: float | None
    last: float | None
    text: str
    depth: int


def segments(schedule: Schedule) -> list[Segment]:
    """Return the segments of ``schedule``, outermost chain first.

    A schedule without ``>>`` is one segment. Parts of a chain that are
    chains themselves, also inside ``x for N`` or ``lars(x)``, are listed
    after their parent, indented.
    """
    found: list[Segment] = []
    _collect(schedule, schedule._root, 0, 0, found)
    return found


def _collect(
    schedule: Schedule,
    node: ev.Evaluator,
    start: int,
    depth: int,
    found: list,
    limit: int | float = math.inf,
) -> None:
    # A part of a chain inside ``x for N`` ends where ``x for N`` ends.
    own = math.inf if node.duration is None else node.duration
    end = min(start + own, limit)
    if start >= limit and own > 0:
        return
    duration = end - start
    first = schedule(start) if duration > 0 else None
    last = schedule(end - 1) if 0 < duration < math.inf else None
    found.append(
        Segment(start, end, duration, first, last, _text(schedule, node), depth)
    )
    chain = same_clock_chain(node)
    if chain is not None:
        for offset, part in zip(chain.starts, chain.parts, strict=True):
            _collect(schedule, part, start + offset, depth + 1, found, end)


def same_clock_chain(node: ev.Evaluator) -> ev.Sequence | None:
    """Return the ``>>`` chain that ``node`` runs on its own clock, if any.

    ``x for N`` and ``lars(x)`` keep the clock of ``x``, so a chain inside
    them starts where they start. ``global(...)`` and arithmetic do not
    place a chain on the training clock.
    """
    while isinstance(node, (ev.WithDuration, ev.LayerScaling)):
        node = node.inner
    return node if isinstance(node, ev.Sequence) else None


def _text(schedule: Schedule, node: ev.Evaluator) -> str:
    span = node.span
    if span is None:
        return "?"
    lines = schedule.text[span.start : span.end].split("\n")
    # Comments in multi-line configs would run into the next line's code.
    code = " ".join(_without_comment(line) for line in lines)
    return " ".join(code.split())


def _without_comment(line: str) -> str:
    in_string = False
    for index, char in enumerate(line):
        if char == '"':
            in_string = not in_string
        elif char == "#" and not in_string:
            return line[:index]
    return line


def format_segments(schedule: Schedule) -> str:
    """Return a table of the segments of ``schedule``, one per line."""
    rows = [("start", "end", "duration", "first", "last", "segment")]
    for segment in segments(schedule):
        rows.append(
            (
                str(segment.start),
                _number(segment.end),
                _number(segment.duration),
                _value(segment.first),
                _value(segment.last),
                "  " * segment.depth + segment.text,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = []
    for row in rows:
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
    return "\n".join(lines)


def _number(value: int | float) -> str:
    return "inf" if value == math.inf else str(value)


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
