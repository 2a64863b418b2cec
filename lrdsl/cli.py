"""The ``lrdsl`` command line.

Exit status: 0 on success, 1 when a schedule or config is invalid (or the
output cannot be written), 2 when the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

import numpy as np

from . import __version__
from ._api import compile
from ._config import load, parse_variable
from ._evaluate import Sequence as SequenceNode
from ._evaluate import WithDuration
from ._resolve import MAX_STEP
from ._schedule import Schedule
from .errors import LrdslError, suggest

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

# The maximum number of steps in `--range`; larger ranges are usage errors.
MAX_ROWS = 10_000_000

# Steps evaluated per numpy call, to bound memory on long ranges.
CHUNK_ROWS = 65_536

CONFIG_SUFFIXES = (".yaml", ".yml")

EVAL_EPILOG = """\
SOURCE is a path ending in .yaml or .yml (a config file) or else schedule text.

steps:
  --steps 0,100,1000       the listed steps
  --range START:STOP[:STEP]
                           Python's range(START, STOP, STEP): STOP is
                           excluded, STEP defaults to 1, and at most
                           10,000,000 steps
  neither                  step 0, the steps on both sides of each `>>`
                           boundary (b-1 and b) and, for a schedule of finite
                           duration d, the steps d-1 and d; steps 0 to 10 for
                           a schedule with no `>>` and an infinite duration

A config with several schedules prints all of them, with a name column (a
"name" field in JSON), unless --name selects one. Learning rates are rounded
to --digits significant digits (15 by default, which hides float64 noise
such as 0.009980000000000001) and printed as the shortest text that reads
back as that float. --digits 17 prints the exact float64 value.

examples:
  lrdsl eval "warmup(500, 0.01) >> constant(0.1)" --steps 0,499,500
  lrdsl eval config.yaml --range 0:1000:100 --format csv
"""


class UsageError(Exception):
    """A command-line argument is invalid (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrdsl`` command line and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as error:
        args.parser.print_usage(sys.stderr)
        print(f"{args.parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except LrdslError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader (`lrdsl eval ... | head`) stopped early; that is not an
        # error worth reporting, but the interpreter must not flush again.
        _discard_stdout()
        return EXIT_INVALID
    except OSError as error:
        print(f"error: cannot write the output: {error}", file=sys.stderr)
        return EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrdsl",
        description="Evaluate and inspect learning-rate schedules.",
    )
    parser.add_argument("--version", action="version", version=f"lrdsl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_eval(commands)
    return parser


# lrdsl eval


def _add_eval(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "eval",
        help="print learning rates at chosen steps",
        description="Print a schedule's learning rate at chosen steps.",
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="SOURCE", help="config file or schedule text")
    steps = parser.add_mutually_exclusive_group()
    steps.add_argument(
        "--steps",
        type=_step_list,
        metavar="LIST",
        help="comma-separated steps, for example 0,100,1000",
    )
    steps.add_argument(
        "--range",
        type=_step_range,
        metavar="START:STOP[:STEP]",
        help="every STEP-th step from START up to STOP, excluded",
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default: table)",
    )
    parser.add_argument(
        "--digits",
        type=_digits,
        default=15,
        metavar="N",
        help="significant digits of the printed rates, 1 to 17 (default: 15)",
    )
    parser.add_argument(
        "--name", help="the schedule to print, in a config with several schedules"
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        metavar="N",
        help="steps in one epoch, for the ep unit (overrides the config)",
    )
    parser.add_argument(
        "--total-steps",
        type=_positive_int,
        metavar="N",
        help="steps in the whole run, for the %% unit (overrides the config)",
    )
    parser.add_argument(
        "--var",
        type=_variable,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind a variable; VALUE is read as YAML, as under vars: "
        "(repeatable, overrides the config)",
    )
    parser.set_defaults(run=_run_eval, parser=parser)


def _run_eval(args: argparse.Namespace) -> int:
    schedules = _eval_schedules(args)
    requested = args.steps if args.steps is not None else args.range
    steps = {
        name: requested if requested is not None else _sample_steps(schedule)
        for name, schedule in schedules.items()
    }
    blocks = _evaluate(schedules, steps, args.digits)
    named = len(schedules) > 1
    if args.format == "table":
        largest = max((max(part, default=0) for part in steps.values()), default=0)
        _write_table(sys.stdout, blocks, named, schedules, len(str(largest)))
    elif args.format == "csv":
        _write_csv(sys.stdout, blocks, named)
    else:
        _write_json(sys.stdout, blocks, named)
    sys.stdout.flush()
    return EXIT_OK


def _eval_schedules(args: argparse.Namespace) -> dict[str, Schedule]:
    """Compile SOURCE into the schedules to print, by name."""
    variables = dict(args.var)
    if not args.source.lower().endswith(CONFIG_SUFFIXES):
        if args.name is not None:
            raise UsageError("--name selects a schedule of a config file")
        schedule = compile(
            args.source,
            steps_per_epoch=args.steps_per_epoch,
            total_steps=args.total_steps,
            variables=variables,
        )
        return {"schedule": schedule}

    config = load(
        args.source,
        steps_per_epoch=args.steps_per_epoch,
        total_steps=args.total_steps,
        variables=variables,
    )
    if args.name is None:
        return config.schedules
    if args.name not in config.schedules:
        names = ", ".join(repr(name) for name in config.schedules)
        message = f"argument --name: {args.name!r} is not in {args.source} ({names})"
        hint = suggest(args.name, config.schedules)
        raise UsageError(f"{message}; {hint}" if hint else message)
    return {args.name: config.schedules[args.name]}


def _sample_steps(schedule: Schedule) -> list[int]:
    """Choose the steps to show when neither --steps nor --range is given."""
    steps = {0}
    for start in _segment_starts(schedule):
        if start > 0:
            steps.update((start - 1, start))
    duration = schedule.duration
    if math.isfinite(duration):
        steps.update(step for step in (duration - 1, duration) if step >= 0)
    elif steps == {0}:
        steps.update(range(11))
    return sorted(step for step in steps if step <= MAX_STEP)


def _segment_starts(schedule: Schedule) -> list[int]:
    """Return the global first step of every `>>` segment of ``schedule``.

    Only sequences at the top (or inside ``x for N`` there) are followed,
    because the clock of any other sequence depends on its context.
    """
    # NOTE: this reads the compiled evaluator tree, which has no public API.
    starts: list[int] = []
    pending = [(schedule._root, 0)]
    while pending:
        node, offset = pending.pop()
        if isinstance(node, WithDuration):
            pending.append((node.inner, offset))
        elif isinstance(node, SequenceNode):
            for start, part in zip(node.starts, node.parts, strict=True):
                starts.append(offset + start)
                pending.append((part, offset + start))
    return starts


Block = tuple[str, list[int], list[float]]


def _evaluate(
    schedules: dict[str, Schedule], steps: dict[str, Sequence[int]], digits: int
) -> Iterator[Block]:
    """Yield ``(name, steps, learning rates)`` in chunks of CHUNK_ROWS rows.

    Rates are rounded to ``digits`` significant digits.
    """
    for name, schedule in schedules.items():
        selected = steps[name]
        for low in range(0, len(selected), CHUNK_ROWS):
            part = selected[low : low + CHUNK_ROWS]
            if isinstance(part, range):
                array = np.arange(part.start, part.stop, part.step, dtype=np.int64)
            else:
                array = np.asarray(part, dtype=np.int64)
            values = [_round(value, digits) for value in schedule(array).tolist()]
            yield name, array.tolist(), values


def _write_table(
    out: TextIO,
    blocks: Iterator[Block],
    named: bool,
    schedules: dict[str, Schedule],
    step_width: int,
) -> None:
    step_width = max(step_width, len("step"))
    name_width = max(len("name"), *(len(name) for name in schedules))
    prefix = f"{'name':<{name_width}}  " if named else ""
    out.write(f"{prefix}{'step':>{step_width}}  lr\n")
    for name, steps, values in blocks:
        prefix = f"{name:<{name_width}}  " if named else ""
        lines = (
            f"{prefix}{step:>{step_width}}  {value!r}\n"
            for step, value in zip(steps, values, strict=True)
        )
        out.write("".join(lines))


def _write_csv(out: TextIO, blocks: Iterator[Block], named: bool) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "step", "lr"] if named else ["step", "lr"])
    for name, steps, values in blocks:
        rows = zip(steps, map(repr, values), strict=True)
        writer.writerows([name, *row] if named else row for row in rows)


def _write_json(out: TextIO, blocks: Iterator[Block], named: bool) -> None:
    """Write a JSON list of rows, one row per line.

    NaN and infinite rates are written as ``NaN`` and ``Infinity``, as
    Python's json module writes them.
    """
    out.write("[")
    empty = True
    for name, steps, values in blocks:
        prefix = f'"name": {json.dumps(name)}, ' if named else ""
        rows = [
            f'{{{prefix}"step": {step}, "lr": {json.dumps(value)}}}'
            for step, value in zip(steps, values, strict=True)
        ]
        if rows:
            out.write(("\n  " if empty else ",\n  ") + ",\n  ".join(rows))
            empty = False
    out.write("]\n" if empty else "\n]\n")


def _round(value: float, digits: int) -> float:
    if not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


# Argument types: each converts one command-line value or raises
# ArgumentTypeError, which argparse reports as a usage error (status 2).


def _step(text: str, label: str = "step") -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid {label} {text.strip()!r}: expected a whole number"
        ) from None
    if not 0 <= value <= MAX_STEP:
        raise argparse.ArgumentTypeError(
            f"invalid {label} {value}: expected 0 <= {label} <= 2**62"
        )
    return value


def _step_list(text: str) -> list[int]:
    return [_step(part) for part in text.split(",")]


def _step_range(text: str) -> range:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(
            f"invalid range {text!r}: expected START:STOP or START:STOP:STEP"
        )
    start = _step(parts[0], "START")
    stop = _step(parts[1], "STOP")
    step = 1
    if len(parts) == 3:
        try:
            step = int(parts[2].strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid STEP {parts[2].strip()!r}: expected a whole number"
            ) from None
        if step <= 0:
            raise argparse.ArgumentTypeError(f"invalid STEP {step}: expected STEP > 0")
    steps = range(start, stop, step)
    if len(steps) > MAX_ROWS:
        raise argparse.ArgumentTypeError(
            f"range {text!r} has {len(steps)} steps, more than the limit of "
            f"{MAX_ROWS}; use a larger STEP or a shorter range"
        )
    return steps


def _digits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 17:
        raise argparse.ArgumentTypeError(
            f"invalid digits {text!r}: expected a whole number 1 <= N <= 17"
        )
    return value


def _positive_int(text: str) -> int:
    value = _step(text, "value")
    if value == 0:
        raise argparse.ArgumentTypeError("invalid value 0: expected a value > 0")
    return value


def _variable(text: str) -> tuple[str, object]:
    try:
        return parse_variable(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
