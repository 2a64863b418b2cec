"""Read and verify the ``expect:`` checks of a config, for ``lrdsl check``.

An ``expect:`` section contains checks on a config's schedule::

    expect:
      values: {0: 0.0, 5ep: 0.1}   # step -> expected rate
      tolerance: 1e-9              # relative, plus 1e-12 absolute
      max: 0.1                     # no rate above 0.1 on [0, horizon)
      min: 0.0
      monotone: [5ep, 90ep]        # non-increasing or non-decreasing on [a, b)
      increasing: [0, 5ep]         # non-decreasing on [a, b)
      decreasing: [5ep, 90ep]      # non-increasing on [a, b)

Steps, rates and limits are lrdsl expressions, read with the config's
``steps_per_epoch``, ``total_steps`` and ``vars:``, so ``5ep`` means what it
means in the schedule. A config with ``schedules:`` keys the checks by
schedule name. ``docs/checking.md`` documents the format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._api import _variables
from ._config import Config, _describe, _Document, _Origin
from ._resolve import Context, Resolver
from ._schedule import Schedule
from ._syntax import parse
from .errors import LrdslError, Span, suggest

CHECK_KEYS = (
    "values",
    "tolerance",
    "max",
    "min",
    "monotone",
    "increasing",
    "decreasing",
)

# Steps and rates that are plain unsigned literals skip the lrdsl parser, so
# a table of thousands of values is read quickly. A step of at most 18
# digits is below 2**62.
_PLAIN_STEP = re.compile(r"0|[1-9][0-9]{0,17}")
_PLAIN_RATE = re.compile(
    r"(?:0|[1-9][0-9]{0,19})(?:\.[0-9]{1,20})?(?:[eE]-?[0-9]{1,3})?"
)

DEFAULT_TOLERANCE = 1e-9
# Added to every relative tolerance, so that an expected rate of 0 can match.
ABSOLUTE_TOLERANCE = 1e-12

# Range checks evaluate the schedule this many steps at a time, which bounds
# memory at a few tens of megabytes.
CHUNK_STEPS = 1_000_000
# The maximum number of steps one check evaluates. Larger ranges are errors,
# not silently sampled. A warmup-cosine schedule takes about 30 ms per chunk
# (measured on one laptop core), so the limit costs a few seconds.
MAX_CHECK_STEPS = 100_000_000
# The maximum number of steps all range checks of one file evaluate together,
# so that many ranges under MAX_CHECK_STEPS cannot keep check busy for hours.
MAX_FILE_CHECK_STEPS = 100_000_000


@dataclass(frozen=True)
class Expectation:
    """One check of an ``expect:`` section, with its place in the file.

    ``kind`` is ``"value"`` (``expected`` at ``step``), ``"max"`` or
    ``"min"`` (``limit`` on ``[start, stop)``), or ``"monotone"``,
    ``"increasing"`` or ``"decreasing"`` (on ``[start, stop)``).
    """

    kind: str
    schedule: str
    span: Span
    tolerance: float
    step: int = 0
    step_text: str = ""
    expected: float = 0.0
    limit: float = 0.0
    start: int = 0
    stop: int = 0


def check_expectations(config: Config) -> list[LrdslError]:
    """Return one located error per failed expectation of ``config``.

    Raises:
      ConfigError: the ``expect:`` section is malformed; the error points at
        the offending entry.
      LrdslError: a step or rate in it is invalid (an unknown variable, a
        unit without its context).
    """
    origin = config._origin
    if origin is None or origin.expect_node is None:
        return []
    reader = _ExpectReader(config, origin)
    failures = []
    for expectation in reader.read(origin.expect_node):
        schedule = config.schedules[expectation.schedule]
        message = _verify(schedule, expectation)
        if message is not None:
            text, hint = message
            if reader.named:
                text = f"{expectation.schedule}: {text}"
            failures.append(
                LrdslError(text, span=expectation.span, hint=hint, source=reader.source)
            )
    return failures


class _ExpectReader:
    """Read an ``expect:`` node into :class:`Expectation` objects, strictly."""

    def __init__(self, config: Config, origin: _Origin):
        self.config = config
        self.document: _Document = origin.document
        self.source = origin.document.source
        self.named = origin.named
        variables = _variables(config.variables)
        for name in ("steps_per_epoch", "total_steps"):
            value = getattr(config, name)
            if value is not None:
                variables.setdefault(name, value)
        self.resolver = Resolver(
            Context(
                steps_per_epoch=config.steps_per_epoch,
                total_steps=config.total_steps,
                variables=variables,
            )
        )
        # Steps the range checks read so far evaluate, for MAX_FILE_CHECK_STEPS.
        self.range_steps = 0

    def error(self, message: str, node: Node, hint: str | None = None):
        return self.document.error(message, node, hint)

    def read(self, node: Node) -> list[Expectation]:
        if not self.named:
            return self._checks(node, "schedule", "expect")
        if not isinstance(node, MappingNode):
            raise self.error(
                "expect must map schedule names to their checks in a config "
                f"with schedules:, got {_describe(node)}",
                node,
                hint="write expect: {name: {max: 0.1}}",
            )
        found = []
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name not in self.config.schedules:
                names = ", ".join(repr(known) for known in self.config.schedules)
                hint = suggest(str(name), self.config.schedules)
                if name in CHECK_KEYS:
                    first = next(iter(self.config.schedules))
                    hint = (
                        "in a config with schedules:, expect: is keyed by "
                        f"schedule name, as in expect: {{{first}: {{{name}: ...}}}}"
                    )
                raise self.error(
                    f"expect: no schedule named {name!r}; the config has {names}",
                    key,
                    hint=hint,
                )
            found += self._checks(value, name, f"expect: {name}")
        return found

    def _checks(self, node: Node, name: str, where: str) -> list[Expectation]:
        if isinstance(node, SequenceNode):
            found = []
            for item in node.value:
                found += self._mapping(item, name, where)
            return found
        return self._mapping(node, name, where)

    def _mapping(self, node: Node, name: str, where: str) -> list[Expectation]:
        if not isinstance(node, MappingNode):
            raise self.error(
                f"{where} must be a mapping of checks, got {_describe(node)}",
                node,
                hint="the checks are " + ", ".join(CHECK_KEYS),
            )
        if not node.value:
            raise self.error(
                f"{where} has no checks",
                node,
                hint="add values:, max:, min: or a range",
            )
        entries = []
        tolerance = DEFAULT_TOLERANCE
        for key, value in node.value:
            check = key.value if isinstance(key, ScalarNode) else None
            if check not in CHECK_KEYS:
                raise self.error(
                    f"{where}: unknown check {check!r}",
                    key,
                    hint=suggest(str(check), CHECK_KEYS)
                    or "the checks are " + ", ".join(CHECK_KEYS),
                )
            if check == "tolerance":
                tolerance = self._tolerance(value)
            else:
                entries.append((check, key, value))

        found = []
        for check, key, value in entries:
            span = self._span(key, value)
            if check == "values":
                found += self._values(value, name, tolerance)
            elif check in ("max", "min"):
                limit = self._rate(value, check)
                start, stop = self._horizon(name, check, key)
                found.append(
                    Expectation(
                        check,
                        name,
                        span,
                        tolerance,
                        limit=limit,
                        start=start,
                        stop=stop,
                    )
                )
            else:
                for start, stop, range_node in self._ranges(value, check):
                    found.append(
                        Expectation(
                            check,
                            name,
                            self._span(range_node, range_node),
                            tolerance,
                            start=start,
                            stop=stop,
                        )
                    )
        return found

    def _span(self, start: Node, end: Node) -> Span:
        # Span.at counts lines from the top of the file; with thousands of
        # entries that is quadratic, so the document's line index is used.
        first, last = start.start_mark.index, end.end_mark.index
        line, column = self.document.position(first)
        end_line, end_column = self.document.position(last)
        return Span(first, last, line, column, end_line, end_column)

    # Entries.

    def _values(self, node: Node, name: str, tolerance: float) -> list[Expectation]:
        if not isinstance(node, MappingNode) or not node.value:
            raise self.error(
                f"values must be a mapping of steps to rates, got {_describe(node)}",
                node,
                hint="write values: {0: 0.0, 5ep: 0.1}",
            )
        found = []
        for key, value in node.value:
            step = self._step(key, "values: step")
            expected = self._rate(value, f"values: rate at step {_shorten(key.value)}")
            found.append(
                Expectation(
                    "value",
                    name,
                    self._span(key, value),
                    tolerance,
                    step=step,
                    step_text=key.value,
                    expected=expected,
                )
            )
        return found

    def _tolerance(self, node: Node) -> float:
        value = self._rate(node, "tolerance")
        if value < 0:
            raise self.error(
                f"tolerance={value!r} is invalid; expected 0 <= tolerance", node
            )
        return value

    def _ranges(self, node: Node, check: str) -> list[tuple[int, int, Node]]:
        """Read ``[a, b]`` or a list of them as ``(start, stop, node)``."""
        shape_hint = f"write {check}: [start, stop] or {check}: [[a, b], [c, d]]"
        if not isinstance(node, SequenceNode) or not node.value:
            raise self.error(
                f"{check} must be a range [start, stop], got {_describe(node)}",
                node,
                hint=shape_hint,
            )
        if all(isinstance(item, SequenceNode) for item in node.value):
            items = node.value
        else:
            items = [node]
        ranges = []
        for item in items:
            if len(item.value) != 2:
                raise self.error(
                    f"{check} must be a range [start, stop] of 2 steps, got "
                    f"{len(item.value)} items",
                    item,
                    hint=shape_hint,
                )
            start = self._step(item.value[0], f"{check}: start")
            stop = self._step(item.value[1], f"{check}: stop")
            if not start < stop:
                raise self.error(
                    f"{check}: the range [{start}, {stop}) is empty; "
                    "expected start < stop",
                    item,
                )
            self._check_length(start, stop, check, item)
            ranges.append((start, stop, item))
        return ranges

    def _horizon(self, name: str, check: str, key: Node) -> tuple[int, int]:
        """Return the range max and min hold on: ``[0, horizon)``."""
        if self.config.total_steps is not None:
            stop = self.config.total_steps
        else:
            duration = self.config.schedules[name].duration
            if not math.isfinite(duration):
                raise self.error(
                    f"{check} needs total_steps: the schedule never ends, so "
                    "there is no horizon to check it on",
                    key,
                    hint="add total_steps: N to the config, or pass --total-steps",
                )
            stop = int(duration)
            if stop == 0:
                raise self.error(
                    f"{check} has no steps to check: the schedule lasts 0 steps",
                    key,
                    hint="add total_steps: N to the config, or pass --total-steps",
                )
        self._check_length(0, stop, check, key)
        return 0, stop

    def _check_length(self, start: int, stop: int, check: str, node: Node) -> None:
        if stop - start > MAX_CHECK_STEPS:
            raise self.error(
                f"{check}: the range [{start}, {stop}) has {stop - start} steps, "
                f"more than the {MAX_CHECK_STEPS:,} that check evaluates",
                node,
                hint="check a shorter range",
            )
        self.range_steps += stop - start
        if self.range_steps > MAX_FILE_CHECK_STEPS:
            raise self.error(
                f"{check}: with the range [{start}, {stop}), the range checks "
                f"of this file evaluate {self.range_steps:,} steps, more than "
                f"the {MAX_FILE_CHECK_STEPS:,} that check evaluates per file",
                node,
                hint="check fewer or shorter ranges; max and min each count "
                "the steps of [0, horizon)",
            )

    # Scalars: lrdsl expressions inside YAML.

    def _step(self, node: Node, where: str) -> int:
        if _is_text(node) and _PLAIN_STEP.fullmatch(node.value):
            return int(node.value)  # a shortcut past the parser, for long tables
        tree, source = self._expression(node, where, "a step such as 500 or 5ep")
        try:
            return self.resolver.steps(tree, where)
        except LrdslError as error:
            raise error.with_source(source) from None

    def _rate(self, node: Node, where: str) -> float:
        if _is_text(node) and _PLAIN_RATE.fullmatch(node.value):
            # A shortcut past the parser: float() rounds the literal correctly,
            # as the resolver does.
            value = float(node.value)
            if math.isfinite(value):
                return value
        tree, source = self._expression(node, where, "a number")
        try:
            return self.resolver.real(tree, where)
        except LrdslError as error:
            raise error.with_source(source) from None

    def _expression(self, node: Node, where: str, expected: str):
        if not isinstance(node, ScalarNode) or node.tag.endswith((":null", ":bool")):
            raise self.error(f"{where} must be {expected}, got {_describe(node)}", node)
        source = self.document.scalar_source(node)
        try:
            return parse(node.value), source
        except LrdslError as error:
            raise error.with_source(source) from None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_text(node: Node) -> bool:
    """Return whether ``node`` is a scalar read as lrdsl text: a number or string."""
    return isinstance(node, ScalarNode) and node.tag.endswith(
        (":int", ":float", ":str")
    )


# Verification: each returns (message, hint) on failure, or None.


def _verify(schedule: Schedule, expectation: Expectation) -> tuple | None:
    kind = expectation.kind
    if kind == "value":
        return _verify_value(schedule, expectation)
    if kind in ("max", "min"):
        return _verify_limit(schedule, expectation)
    return _verify_order(schedule, expectation)


def _allowance(reference: Any, tolerance: float) -> Any:
    return tolerance * np.abs(reference) + ABSOLUTE_TOLERANCE


def _verify_value(schedule: Schedule, expectation: Expectation) -> tuple | None:
    actual = schedule(expectation.step)
    expected = expectation.expected
    if abs(actual - expected) <= _allowance(expected, expectation.tolerance):
        return None
    where = f"step {expectation.step}"
    if expectation.step_text.strip() != str(expectation.step):
        where += f" ({expectation.step_text.strip()})"
    return (
        f"expected lr {expected!r} at {where}, got {actual!r}",
        f"the tolerance is {expectation.tolerance:g} relative plus "
        f"{ABSOLUTE_TOLERANCE:g} absolute",
    )


def _chunks(schedule: Schedule, start: int, stop: int) -> Iterator[tuple]:
    for low in range(start, stop, CHUNK_STEPS):
        steps = np.arange(low, min(stop, low + CHUNK_STEPS), dtype=np.int64)
        yield steps, schedule(steps)


def _verify_limit(schedule: Schedule, expectation: Expectation) -> tuple | None:
    limit, start, stop = expectation.limit, expectation.start, expectation.stop
    upper = expectation.kind == "max"
    allowed = limit + _allowance(limit, expectation.tolerance) * (1 if upper else -1)
    first = None
    extreme_step, extreme = start, None
    for steps, values in _chunks(schedule, start, stop):
        within = values <= allowed if upper else values >= allowed
        if first is None and not within.all():
            index = int(np.argmin(within))
            first = (int(steps[index]), float(values[index]))
        # NaN is never within the limit; it is reported as the first failure.
        ordered = np.where(np.isnan(values), -np.inf if upper else np.inf, values)
        index = int(np.argmax(ordered) if upper else np.argmin(ordered))
        value = float(ordered[index])
        if extreme is None or (value > extreme if upper else value < extreme):
            extreme_step, extreme = int(steps[index]), value
    if first is None:
        return None
    relation, word, side = (
        ("<=", "largest", "above") if upper else (">=", "smallest", "below")
    )
    step, value = first
    return (
        f"expected lr {relation} {limit!r} on steps [{start}, {stop}), "
        f"got {value!r} at step {step}, the first step {side} it",
        f"the {word} rate on [{start}, {stop}) is {extreme!r}, at step {extreme_step}",
    )


def _verify_order(schedule: Schedule, expectation: Expectation) -> tuple | None:
    """Check monotone, increasing (non-decreasing) or decreasing ranges.

    A change smaller than the tolerance (relative to the earlier rate, plus
    the absolute tolerance) counts as no change, so float rounding in a
    plateau is not a rise or a fall.
    """
    start, stop, kind = expectation.start, expectation.stop, expectation.kind
    rise = fall = None
    previous = None
    for steps, values in _chunks(schedule, start, stop):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            step = int(steps[bad[0]])
            return (
                f"expected lr {_ORDER[kind]} on steps [{start}, {stop}), "
                f"got {float(values[bad[0]])!r} at step {step}",
                None,
            )
        joined = values if previous is None else np.concatenate(([previous], values))
        offset = 0 if previous is None else 1
        change = np.diff(joined)
        slack = _allowance(joined[:-1], expectation.tolerance)
        if rise is None:
            rise = _first_change(steps, joined, change > slack, offset)
        if fall is None:
            fall = _first_change(steps, joined, change < -slack, offset)
        previous = values[-1]
        if _order_broken(kind, rise, fall):
            break

    if not _order_broken(kind, rise, fall):
        return None
    expected = f"expected lr {_ORDER[kind]} on steps [{start}, {stop})"
    if kind == "decreasing":
        return f"{expected}, but it {_describe_change('rises', rise)}", None
    if kind == "increasing":
        return f"{expected}, but it {_describe_change('falls', fall)}", None
    rise_text = _describe_change("rises", rise)
    fall_text = _describe_change("falls", fall)
    later = (rise_text, fall_text) if rise[0] > fall[0] else (fall_text, rise_text)
    return f"{expected}, but it {later[0]} after it {later[1]}", None


_ORDER = {
    "monotone": "monotone",
    "increasing": "non-decreasing",
    "decreasing": "non-increasing",
}


def _first_change(
    steps: np.ndarray, joined: np.ndarray, mask: np.ndarray, offset: int
) -> tuple[int, float, float] | None:
    """Return ``(step, rate before, rate at step)`` of the first masked change."""
    hits = np.flatnonzero(mask)
    if not hits.size:
        return None
    index = int(hits[0])
    step = int(steps[index + 1 - offset])
    return step, float(joined[index]), float(joined[index + 1])


def _order_broken(kind: str, rise, fall) -> bool:
    if kind == "decreasing":
        return rise is not None
    if kind == "increasing":
        return fall is not None
    return rise is not None and fall is not None


def _describe_change(verb: str, change: tuple[int, float, float]) -> str:
    step, before, after = change
    return f"{verb} from {before!r} to {after!r} at step {step}"
