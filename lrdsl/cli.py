"""The ``lrdsl`` command line: ``eval``, ``check`` and ``explain``.

Exit status: 0 on success, 1 when a schedule or config is invalid (or the
output cannot be written), 2 when the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from . import __version__
from ._analysis import horizon_of, segment_boundaries
from ._api import compile
from ._check import Diagnostic, Options, check_paths
from ._config import _read_text, load, load_key, parse_variable
from ._explain import format_segments
from ._plot import png_plot, text_plot
from ._resolve import MAX_STEP
from ._schedule import Schedule
from .errors import LrdslError, LrdslWarning, Source, show, suggest

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

# The maximum number of steps in eval's `--range`; larger ranges are usage
# errors. Printing a million rows takes about 1.5 s (measured on one core).
MAX_ROWS = 1_000_000

# The text plot's size, in characters.
MIN_PLOT_WIDTH, MAX_PLOT_WIDTH = 20, 500
MIN_PLOT_HEIGHT, MAX_PLOT_HEIGHT = 10, 200

# Steps evaluated per numpy call, to bound memory on long ranges.
CHUNK_ROWS = 65_536

CONFIG_SUFFIXES = (".yaml", ".yml")
TEXT_SUFFIX = ".lrdsl"

EVAL_EPILOG = """\
SOURCE is a path ending in .yaml or .yml (a config file), a path ending in
.lrdsl (a file of schedule text) or else schedule text.

steps:
  --steps 0,100,1000       the listed steps
  --range START:STOP[:STEP]
                           Python's range(START, STOP, STEP): STOP is
                           excluded, STEP defaults to 1, and at most
                           1,000,000 steps
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
    if sys.stdout is None:
        # Python sets sys.stdout to None when the process starts with
        # standard output closed (`lrdsl eval ... >&-`).
        if sys.stderr is not None:
            print(
                "error: cannot write the output: standard output is closed",
                file=sys.stderr,
            )
        return EXIT_INVALID
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
    _add_check(commands)
    _add_explain(commands)
    _add_plot(commands)
    return parser


def _add_context_flags(parser: argparse.ArgumentParser) -> None:
    """Add --steps-per-epoch, --total-steps and --var, shared by the commands."""
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


# lrdsl eval


def _add_eval(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "eval",
        help="print learning rates at chosen steps",
        description="Print a schedule's learning rate at chosen steps.",
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source", metavar="SOURCE", help="config file, .lrdsl file or schedule text"
    )
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
    _add_context_flags(parser)
    parser.set_defaults(run=_run_eval, parser=parser)


def _run_eval(args: argparse.Namespace) -> int:
    schedules, _ = _compile_source(args)
    requested = args.steps if args.steps is not None else args.range
    steps = {
        name: requested if requested is not None else _sample_steps(schedule)
        for name, schedule in schedules.items()
    }
    rows = sum(len(part) for part in steps.values())
    if rows > MAX_ROWS:
        raise UsageError(
            f"{len(schedules)} schedules make {rows:,} rows, more than the limit "
            f"of {MAX_ROWS:,}; select one schedule with --name, or use fewer steps"
        )
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


def _select(schedules: dict[str, Schedule], args: argparse.Namespace):
    """Return the schedule --name selects, or all of them without --name."""
    if args.name is None:
        return schedules
    if args.name not in schedules:
        names = ", ".join(repr(name) for name in schedules)
        message = f"argument --name: {args.name!r} is not in {args.source} ({names})"
        hint = suggest(args.name, schedules)
        raise UsageError(f"{message}; {hint}" if hint else message)
    return {args.name: schedules[args.name]}


def _sample_steps(schedule: Schedule) -> list[int]:
    """Choose the steps to show when neither --steps nor --range is given."""
    steps = {0}
    for start, _, _ in segment_boundaries(schedule._root, 0):
        if start > 0:
            steps.update((start - 1, start))
    duration = schedule.duration
    if math.isfinite(duration):
        steps.update(step for step in (duration - 1, duration) if step >= 0)
    elif steps == {0}:
        steps.update(range(11))
    return sorted(step for step in steps if step <= MAX_STEP)


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
            values = _round(schedule(array).tolist(), digits)
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
        # printf-style rows format faster than f-strings with a nested width.
        row = _escape_percent(prefix) + f"%{step_width}d  %r\n"
        out.write("".join([row % pair for pair in zip(steps, values, strict=True)]))


def _write_csv(out: TextIO, blocks: Iterator[Block], named: bool) -> None:
    out.write("name,step,lr\n" if named else "step,lr\n")
    for name, steps, values in blocks:
        # Steps and float reprs never need quoting; a name may.
        prefix = _csv_field(name) + "," if named else ""
        row = _escape_percent(prefix) + "%d,%r\n"
        out.write("".join([row % pair for pair in zip(steps, values, strict=True)]))


def _write_json(out: TextIO, blocks: Iterator[Block], named: bool) -> None:
    """Write a JSON list of rows, one row per line.

    NaN and infinite rates are written as ``NaN`` and ``Infinity``, as
    Python's json module writes them.
    """
    out.write("[")
    empty = True
    for name, steps, values in blocks:
        prefix = f'"name": {json.dumps(name)}, ' if named else ""
        row = "{" + _escape_percent(prefix) + '"step": %d, "lr": %s}'
        # json.dumps writes a finite float as repr() does.
        rates = [
            repr(value) if math.isfinite(value) else json.dumps(value)
            for value in values
        ]
        rows = [row % pair for pair in zip(steps, rates, strict=True)]
        if rows:
            out.write(("\n  " if empty else ",\n  ") + ",\n  ".join(rows))
            empty = False
    out.write("]\n" if empty else "\n]\n")


def _round(values: list[float], digits: int) -> list[float]:
    """Round each value to ``digits`` significant digits; NaN and inf stay."""
    if digits >= 17:
        return values  # 17 significant digits identify every float64
    spec = f"%.{digits}g"
    return [float(spec % value) for value in values]


def _escape_percent(text: str) -> str:
    return text.replace("%", "%%")


def _csv_field(text: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([text])
    return buffer.getvalue()


# lrdsl check

CHECK_EPILOG = """\
PATH is a config file (.yaml, .yml), a file of plain schedule text (.lrdsl)
or a folder, searched recursively for those files (folders whose names start
with a dot are skipped).

Each file is compiled and its expect: checks are run. Errors and warnings
are printed as FILE:LINE:COL: error: MESSAGE (or warning:), with the source
line and a caret under the span, then a summary line.

--key reads YAML files as training configs whose schedule text sits at a
dot-separated key path, such as optimizer.lr_schedule (a whole-number part
indexes a list). Their other keys are not read, so steps_per_epoch,
total_steps and variables come from --steps-per-epoch, --total-steps and
--var; .lrdsl files take them from the same flags.

exit status: 0 valid (warnings allowed unless --strict), 1 invalid,
2 usage error (no PATH, a missing PATH, a folder with no files to check).

examples:
  lrdsl check configs/
  lrdsl check train.yaml --key optimizer.lr_schedule --steps-per-epoch 5005
  lrdsl check configs/ --format json --strict
"""


def _add_check(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "check",
        help="validate config files, for CI",
        description="Validate schedule files: compile errors, config errors, "
        "warnings and expect: checks.",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or folders to check"
    )
    parser.add_argument(
        "--key",
        metavar="A.B.C",
        help="read the schedule text of YAML files at this key path",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail on warnings too (exit 1)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format (default: text)",
    )
    _add_context_flags(parser)
    parser.set_defaults(run=_run_check, parser=parser)


def _run_check(args: argparse.Namespace) -> int:
    options = Options(
        key=args.key,
        steps_per_epoch=args.steps_per_epoch,
        total_steps=args.total_steps,
        variables=_var_dict(args.var),
    )
    try:
        report = check_paths(args.paths, options)
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        json.dump(report.as_json(strict=args.strict), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.render())
    sys.stdout.flush()
    return EXIT_INVALID if report.failed(strict=args.strict) else EXIT_OK


# lrdsl explain

EXPLAIN_EPILOG = """\
SOURCE is a config file (.yaml, .yml), a file of schedule text (.lrdsl), or
else schedule text. For each schedule, explain prints its canonical text, its
duration and a table of its `>>` segments: the first step, the end (excluded)
and the duration of each, and the rates at its first and last step. Chains
nested inside a segment are listed under it, indented. Compile warnings
follow the table.

examples:
  lrdsl explain "warmup(500, 0.1) >> constant(0.1) for 1000 >> cosine(0.1, 2000)"
  lrdsl explain config.yaml --name head
"""


def _add_explain(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "explain",
        help="show a schedule's segments and durations",
        description="Print a schedule's parsed form, duration and segments.",
        epilog=EXPLAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_source_arguments(parser, "explain")
    _add_context_flags(parser)
    parser.set_defaults(run=_run_explain, parser=parser)


def _add_source_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """Add SOURCE, --name and --key, shared by explain and plot."""
    parser.add_argument(
        "source", metavar="SOURCE", help="config file, .lrdsl file or schedule text"
    )
    parser.add_argument(
        "--name", help=f"the schedule to {verb}, in a config with several schedules"
    )
    parser.add_argument(
        "--key",
        metavar="A.B.C",
        help="read the schedule text of a YAML file at this key path",
    )


def _compile_quietly(args: argparse.Namespace):
    """Compile SOURCE without printing warnings, which these commands show
    or do not need."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrdslWarning)
        return _compile_source(args)


def _run_explain(args: argparse.Namespace) -> int:
    schedules, _ = _compile_quietly(args)
    parts = [_explain(name, schedule) for name, schedule in schedules.items()]
    sys.stdout.write("\n\n".join(parts) + "\n")
    sys.stdout.flush()
    return EXIT_OK


def _compile_source(
    args: argparse.Namespace,
) -> tuple[dict[str, Schedule], int | None]:
    """Compile SOURCE; return the selected schedules and the run's total_steps.

    SOURCE is a config file, a ``.lrdsl`` file or schedule text, as for
    ``eval``, ``explain`` and ``plot``; ``eval`` has no ``--key``.
    """
    settings = {
        "steps_per_epoch": args.steps_per_epoch,
        "total_steps": args.total_steps,
        "variables": _var_dict(args.var),
    }
    key = getattr(args, "key", None)
    is_config = args.source.lower().endswith(CONFIG_SUFFIXES)
    if key is not None and not is_config:
        raise UsageError("--key reads a .yaml or .yml file")
    if args.name is not None and not is_config:
        raise UsageError("--name selects a schedule of a config file")
    if key is not None:
        config = load_key(args.source, key, **settings)
    elif is_config:
        config = load(args.source, **settings)
    elif args.source.lower().endswith(TEXT_SUFFIX):
        text = _read_text(Path(args.source), "schedule file")
        source = Source(text, filename=args.source)
        schedule = compile(text, source=source, **settings)
        return {"schedule": schedule}, args.total_steps
    else:
        return {"schedule": compile(args.source, **settings)}, args.total_steps
    return _select(config.schedules, args), config.total_steps


def _explain(name: str, schedule: Schedule) -> str:
    duration = schedule.duration
    lines = [
        f"{name}: {schedule.tree}",
        f"duration: {duration} steps" if math.isfinite(duration) else "duration: inf",
        "",
        format_segments(schedule),
    ]
    for warning in schedule.warnings:
        file = warning.filename or ""
        lines.append(Diagnostic.from_located(warning, "warning", file).render())
    return "\n".join(lines)


# lrdsl plot

PLOT_EPILOG = """\
SOURCE is schedule text, a .lrdsl file or a config (.yaml or .yml); every
schedule of a config with several is drawn, unless --name selects one.

The range defaults to [0, total_steps), else [0, duration) for a schedule
of finite duration, else up to 100,000 steps past the last segment start.
Without -o, the plot is text for the terminal and needs no extra package.
With -o, it is a PNG drawn by matplotlib: pip install 'lrdsl[plot]'.

examples:
  lrdsl plot "warmup(500, 0.1) >> cosine(0.1, 9500)"
  lrdsl plot config.yaml --range 0:20000 -o lr.png
"""


def _add_plot(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "plot",
        help="plot a schedule in the terminal or to a PNG",
        description="Plot learning rate against step.",
        epilog=PLOT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_source_arguments(parser, "plot")
    parser.add_argument(
        "--range",
        type=_plot_range,
        metavar="START:STOP",
        help="plot steps START to STOP, excluded (long ranges are sampled)",
    )
    parser.add_argument("-o", "--output", metavar="PNG", help="write a PNG here")
    parser.add_argument(
        "--width",
        type=_plot_width,
        default=72,
        metavar="N",
        help=f"text plot columns, {MIN_PLOT_WIDTH} to {MAX_PLOT_WIDTH} (default: 72)",
    )
    parser.add_argument(
        "--height",
        type=_plot_height,
        default=16,
        metavar="N",
        help=f"text plot rows, {MIN_PLOT_HEIGHT} to {MAX_PLOT_HEIGHT} (default: 16)",
    )
    _add_context_flags(parser)
    parser.set_defaults(run=_run_plot, parser=parser)


def _run_plot(args: argparse.Namespace) -> int:
    schedules, total_steps = _compile_quietly(args)
    if args.range is not None:
        start, stop = args.range
    else:
        start = 0
        stop = max(horizon_of(schedule, total_steps) for schedule in schedules.values())
    if stop <= start:
        raise UsageError(f"--range {start}:{stop} contains no steps")
    if args.output is not None:
        png_plot(schedules, start, stop, args.output)
        print(f"wrote {args.output}")
    else:
        plot = text_plot(schedules, start, stop, width=args.width, height=args.height)
        sys.stdout.write(plot + "\n")
    sys.stdout.flush()
    return EXIT_OK


# Argument types: each converts one command-line value or raises
# ArgumentTypeError, which argparse reports as a usage error (status 2).


# Digits of 2**62, the largest value any argument takes.
_MAX_DIGITS = len(str(MAX_STEP))
# ASCII digits only: int() also reads other scripts' digits ("٥" is 5) and
# "_" separators.
_WHOLE_NUMBER = re.compile(r"[-+]?[0-9]+")


def _whole_number(text: str, label: str, low: int, high: int, rule: str) -> int:
    """Parse a whole number in ``[low, high]``; ``rule`` states the range."""
    stripped = text.strip()
    if _WHOLE_NUMBER.fullmatch(stripped) is None:
        raise argparse.ArgumentTypeError(
            f"invalid {label} {show(stripped)}: expected a whole number {rule}"
        )
    # A number longer than 2**62 is out of every range, and converting
    # thousands of digits fails, so it is rejected as text.
    if len(stripped.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        raise argparse.ArgumentTypeError(
            f"invalid {label} {show(stripped)}: expected {rule}"
        )
    value = int(stripped)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"invalid {label} {value}: expected {rule}")
    return value


def _step(text: str, label: str = "step") -> int:
    return _whole_number(text, label, 0, MAX_STEP, f"0 <= {label} <= 2**62")


def _step_list(text: str) -> list[int]:
    return [_step(part) for part in text.split(",")]


def _step_range(text: str) -> range:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(
            f"invalid range {show(text)}: expected START:STOP or START:STOP:STEP"
        )
    start = _step(parts[0], "START")
    stop = _step(parts[1], "STOP")
    step = 1
    if len(parts) == 3:
        step = _whole_number(parts[2], "STEP", 1, MAX_STEP, "0 < STEP <= 2**62")
    steps = range(start, stop, step)
    if len(steps) > MAX_ROWS:
        raise argparse.ArgumentTypeError(
            f"range {show(text)} has {len(steps)} steps, more than the limit of "
            f"{MAX_ROWS}; use a larger STEP or a shorter range"
        )
    return steps


def _plot_range(text: str) -> tuple[int, int]:
    """Parse plot's START:STOP; any length is allowed, because plot samples."""
    parts = text.split(":")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(
            f"invalid range {show(text)}: expected START:STOP (plot takes no STEP)"
        )
    return _step(parts[0], "START"), _step(parts[1], "STOP")


def _var_dict(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Collect --var values; naming a variable twice is a usage error."""
    variables: dict[str, object] = {}
    for name, value in pairs:
        if name in variables:
            raise UsageError(f"--var {name} is given twice")
        variables[name] = value
    return variables


def _digits(text: str) -> int:
    return _whole_number(text, "digits", 1, 17, "1 <= N <= 17")


def _positive_int(text: str) -> int:
    return _whole_number(text, "value", 1, MAX_STEP, "0 < value <= 2**62")


def _plot_width(text: str) -> int:
    rule = f"{MIN_PLOT_WIDTH} <= width <= {MAX_PLOT_WIDTH}"
    return _whole_number(text, "width", MIN_PLOT_WIDTH, MAX_PLOT_WIDTH, rule)


def _plot_height(text: str) -> int:
    rule = f"{MIN_PLOT_HEIGHT} <= height <= {MAX_PLOT_HEIGHT}"
    return _whole_number(text, "height", MIN_PLOT_HEIGHT, MAX_PLOT_HEIGHT, rule)


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
