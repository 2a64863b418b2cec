"""Tests for the ``lrdsl`` command line, run in process through ``main``."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lrdsl

ACCEPTANCE = "warmup(500, 0.01) >> piecewise([1000,2000],[0.1,0.01,0.001])"

TWO_SCHEDULES = """\
schedules:
  backbone: warmup(2, 1)
  head: constant(0.5)
"""


def test_eval_acceptance_json(run_cli):
    result = run_cli(
        "eval", ACCEPTANCE, "--steps", "0,499,500,1500,2500", "--format", "json"
    )

    assert result.status == 0
    assert result.err == ""
    rows = json.loads(result.out)
    assert [row["step"] for row in rows] == [0, 499, 500, 1500, 2500]
    lrs = [row["lr"] for row in rows]
    assert lrs == pytest.approx([0.0, 0.00998, 0.1, 0.01, 0.001], rel=1e-15)


def test_eval_rounds_to_fifteen_digits(run_cli):
    # 0.01 * 499 / 500 rounds to the float after 0.00998; 15 significant
    # digits hide that float64 noise.
    result = run_cli("eval", ACCEPTANCE, "--steps", "499", "--format", "json")

    assert result.out == '[\n  {"step": 499, "lr": 0.00998}\n]\n'


def test_eval_digits_17_prints_exact_float(run_cli):
    result = run_cli(
        "eval", ACCEPTANCE, "--steps", "499", "--format", "json", "--digits", "17"
    )

    expected = repr(lrdsl.compile(ACCEPTANCE)(499))
    assert expected != "0.00998"
    assert result.out == f'[\n  {{"step": 499, "lr": {expected}}}\n]\n'


@pytest.mark.parametrize("digits", ["0", "18", "x"])
def test_eval_digits_out_of_range(run_cli, digits):
    result = run_cli("eval", "1", "--digits", digits)

    assert result.status == 2
    assert "1 <= N <= 17" in result.err


def test_eval_json_text(run_cli):
    result = run_cli(
        "eval", "warmup(4, 1) >> constant(0.5)", "--steps", "0,2,4", "--format", "json"
    )

    assert result.status == 0
    assert result.out == (
        "[\n"
        '  {"step": 0, "lr": 0.0},\n'
        '  {"step": 2, "lr": 0.5},\n'
        '  {"step": 4, "lr": 0.5}\n'
        "]\n"
    )


def test_eval_table_default_steps_finite(run_cli):
    # Samples: 0, both sides of the boundary at 4, and d - 1, d for d = 8.
    result = run_cli("eval", "warmup(4, 1) >> linear(1, 0, 4)")

    assert result.status == 0
    assert result.err == ""
    assert result.out == (
        "step  lr\n   0  0.0\n   3  0.75\n   4  1.0\n   7  0.25\n   8  0.0\n"
    )


def test_eval_default_steps_boundaries_of_infinite(run_cli):
    result = run_cli("eval", ACCEPTANCE, "--format", "csv")

    assert result.out.splitlines() == [
        "step,lr",
        "0,0.0",
        "499,0.00998",
        "500,0.1",
    ]


def test_eval_default_steps_plain_infinite(run_cli):
    result = run_cli("eval", "0.1", "--format", "csv")

    expected = ["step,lr"] + [f"{step},0.1" for step in range(11)]
    assert result.out.splitlines() == expected


def test_eval_csv_range(run_cli):
    result = run_cli("eval", "warmup(8, 1)", "--range", "0:10:4", "--format", "csv")

    assert result.status == 0
    assert result.out == "step,lr\n0,0.0\n4,0.5\n8,1.0\n"


def test_eval_range_default_step(run_cli):
    result = run_cli("eval", "warmup(4, 1)", "--range", "1:3", "--format", "csv")

    assert result.out == "step,lr\n1,0.25\n2,0.5\n"


def test_eval_range_spans_chunks(run_cli):
    result = run_cli("eval", "warmup(100000, 1)", "--range", "0:150001")

    lines = result.out.splitlines()
    assert result.status == 0
    assert len(lines) == 150002
    assert lines[1] == "     0  0.0"
    assert lines[-1] == "150000  1.0"


@pytest.mark.parametrize(
    "output_format, expected",
    [("json", "[]\n"), ("csv", "step,lr\n"), ("table", "step  lr\n")],
)
def test_eval_empty_range(run_cli, output_format, expected):
    result = run_cli("eval", "0.1", "--range", "5:5", "--format", output_format)

    assert result.status == 0
    assert result.out == expected


def test_eval_infinite_rate_in_json(run_cli):
    result = run_cli(
        "eval", "0.1 / (constant(1) - 1)", "--steps", "0", "--format", "json"
    )

    assert result.out == '[\n  {"step": 0, "lr": Infinity}\n]\n'


def test_eval_units_and_variables(run_cli):
    result = run_cli(
        "eval",
        "warmup(1ep, peak) >> linear(peak, 0, 50%)",
        "--steps-per-epoch",
        "4",
        "--total-steps",
        "8",
        "--var",
        "peak=1",
        "--format",
        "csv",
    )

    assert result.status == 0
    assert result.out.splitlines() == [
        "step,lr",
        "0,0.0",
        "3,0.75",
        "4,1.0",
        "7,0.25",
        "8,0.0",
    ]


# Configs.


def test_eval_config_several_schedules_table(run_cli, write_config):
    path = write_config(TWO_SCHEDULES)

    result = run_cli("eval", str(path), "--steps", "0,1,10")

    assert result.status == 0
    assert result.out == (
        "name      step  lr\n"
        "backbone     0  0.0\n"
        "backbone     1  0.5\n"
        "backbone    10  1.0\n"
        "head         0  0.5\n"
        "head         1  0.5\n"
        "head        10  0.5\n"
    )


def test_eval_config_several_schedules_csv(run_cli, write_config):
    path = write_config(TWO_SCHEDULES)

    result = run_cli("eval", str(path), "--steps", "1", "--format", "csv")

    assert result.out == "name,step,lr\nbackbone,1,0.5\nhead,1,0.5\n"


def test_eval_config_several_schedules_json(run_cli, write_config):
    path = write_config(TWO_SCHEDULES)

    result = run_cli("eval", str(path), "--steps", "1", "--format", "json")

    assert json.loads(result.out) == [
        {"name": "backbone", "step": 1, "lr": 0.5},
        {"name": "head", "step": 1, "lr": 0.5},
    ]


def test_eval_config_default_steps_per_schedule(run_cli, write_config):
    path = write_config(TWO_SCHEDULES)

    result = run_cli("eval", str(path), "--format", "csv")

    lines = result.out.splitlines()
    assert lines[:4] == [
        "name,step,lr",
        "backbone,0,0.0",
        "backbone,1,0.5",
        "backbone,2,1.0",
    ]
    assert lines[4:] == [f"head,{step},0.5" for step in range(11)]


def test_eval_config_name_selects(run_cli, write_config):
    path = write_config(TWO_SCHEDULES, "two.yml")

    result = run_cli("eval", str(path), "--name", "backbone", "--steps", "1")

    assert result.status == 0
    assert result.out == "step  lr\n   1  0.5\n"


def test_eval_config_overrides(run_cli, write_config):
    path = write_config(
        "steps_per_epoch: 10\nvars: {peak: 0.1}\nschedule: warmup(1ep, peak)\n"
    )

    result = run_cli(
        "eval",
        str(path),
        "--steps-per-epoch",
        "2",
        "--var",
        "peak=1",
        "--steps",
        "1",
        "--format",
        "csv",
    )

    assert result.out == "step,lr\n1,0.5\n"


def test_eval_config_unknown_name(run_cli, write_config):
    path = write_config(TWO_SCHEDULES)

    result = run_cli("eval", str(path), "--name", "haed")

    assert result.status == 2
    assert result.out == ""
    assert result.err.startswith("usage: lrdsl eval")
    assert result.err.splitlines()[-1] == (
        f"lrdsl eval: error: argument --name: 'haed' is not in {path} "
        "('backbone', 'head'); did you mean 'head'?"
    )


def test_eval_name_without_config(run_cli):
    result = run_cli("eval", "0.1", "--name", "head")

    assert result.status == 2
    assert "--name selects a schedule of a config file" in result.err


# Errors.


def test_eval_config_error_rendering(run_cli, write_config):
    path = write_config(
        """\
        steps_per_epoch: 10
        schedule: |
          warmup(5ep, 0.1)   # half an epoch is 5 steps
          >> constant(0.1) * nope
        """
    )

    result = run_cli("eval", str(path))

    assert result.status == 1
    assert result.out == ""
    assert result.err.splitlines()[:3] == [
        f"error: {path}:4:22: unknown variable 'nope'",
        "    >> constant(0.1) * nope",
        "                       ^^^^",
    ]


def test_eval_yaml_error_exact(run_cli, write_config):
    path = write_config("schedule: '0.1'\nschedule: '0.2'\n")

    result = run_cli("eval", str(path))

    assert result.status == 1
    assert result.err == (
        f"error: {path}:2:1: duplicate key 'schedule' (first defined on line 1)\n"
        "  schedule: '0.2'\n"
        "  ^^^^^^^^\n"
    )


def test_eval_text_error(run_cli):
    result = run_cli("eval", "warmup(5, 0.1) >> nope")

    assert result.status == 1
    assert result.out == ""
    assert result.err.splitlines()[:3] == [
        "error: 1:19: unknown variable 'nope'",
        "  warmup(5, 0.1) >> nope",
        "                    ^^^^",
    ]


def test_eval_missing_config(run_cli, tmp_path):
    path = tmp_path / "absent.yaml"

    result = run_cli("eval", str(path))

    assert result.status == 1
    assert result.err == f"error: {path}: config file not found\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "-1"], "argument --steps: invalid step -1: expected 0 <= step"),
        (["--steps", "1.5"], "argument --steps: invalid step '1.5'"),
        (["--steps", "1,,2"], "argument --steps: invalid step ''"),
        (["--steps", str(2**62 + 1)], "expected 0 <= step <= 2**62"),
        (["--range", "5"], "invalid range '5': expected START:STOP"),
        (["--range", "0:10:0"], "invalid STEP 0: expected 0 < STEP <= 2**62"),
        (["--range", "0:10:-1"], "invalid STEP -1: expected 0 < STEP <= 2**62"),
        (["--range", "a:10"], "invalid START 'a'"),
        (
            ["--range", "0:1000001"],
            "range '0:1000001' has 1000001 steps, more than the limit of 1000000",
        ),
        (["--steps", "1", "--range", "0:2"], "not allowed with argument --steps"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--steps-per-epoch", "0"], "invalid value 0: expected 0 < value <= 2**62"),
        (["--var", "peak"], "argument --var: expected NAME=VALUE, got 'peak'"),
    ],
)
def test_eval_usage_errors(run_cli, args, message):
    result = run_cli("eval", "warmup(5, 0.1)", *args)

    assert result.status == 2
    assert result.out == ""
    assert message in result.err


def test_eval_largest_range_accepted(run_cli, monkeypatch):
    # Only the row count is checked here, so evaluation is stubbed out.
    monkeypatch.setattr("lrdsl.cli._run_eval", lambda args: len(args.range))

    result = run_cli("eval", "0.1", "--range", "0:1000000")

    assert result.status == 1_000_000


def test_missing_command(run_cli):
    result = run_cli()

    assert result.status == 2
    assert "the following arguments are required: COMMAND" in result.err


def test_unknown_command(run_cli):
    result = run_cli("evaluate", "0.1")

    assert result.status == 2
    assert "invalid choice: 'evaluate'" in result.err


def test_eval_help(run_cli):
    result = run_cli("eval", "--help")

    assert result.status == 0
    assert "--range START:STOP[:STEP]" in result.out
    assert "steps 0 to 10" in result.out


def test_version(run_cli):
    result = run_cli("--version")

    assert result.status == 0
    assert result.out == f"lrdsl {lrdsl.__version__}\n"


class _FailingOutput:
    def __init__(self, error: OSError):
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error


def test_eval_output_error(run_cli, monkeypatch):
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(sys, "stdout", _FailingOutput(full))

    result = run_cli("eval", "0.1")

    assert result.status == 1
    assert result.err == (
        "error: cannot write the output: [Errno 28] No space left on device\n"
    )


def test_eval_closed_pipe_is_quiet(run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdout", _FailingOutput(BrokenPipeError()))

    result = run_cli("eval", "0.1")

    assert result.status == 1
    assert result.err == ""


def test_python_m_lrdsl(tmp_path):
    repository = Path(lrdsl.__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(repository))
    command = [sys.executable, "-m", "lrdsl", "eval", "warmup(4, 1)"]

    completed = subprocess.run(
        [*command, "--steps", "0,2,4", "--format", "csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0
    assert completed.stderr == ""
    assert completed.stdout == "step,lr\n0,0.0\n2,0.5\n4,1.0\n"


def test_help_lists_commands(run_cli):
    result = run_cli("--help")

    assert result.status == 0
    assert "validate config files, for CI" in result.out
    assert "show a schedule's segments and durations" in result.out


def test_check_help_documents_exit_status(run_cli):
    result = run_cli("check", "--help")

    assert result.status == 0
    assert "exit status: 0 valid" in result.out
    assert "--key A.B.C" in result.out


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_eval_default_steps_inside_lars(run_cli):
    # The warmup of 2 epochs (624 steps) hands over inside lars(...).
    result = run_cli(
        "eval", str(EXAMPLES / "mlperf_resnet50_lars.yaml"), "--format", "csv"
    )

    steps = [line.split(",")[0] for line in result.out.splitlines()[1:]]
    assert result.status == 0
    assert steps == ["0", "623", "624", "12792", "12793"]


def test_eval_reads_lrdsl_file(run_cli, tmp_path):
    path = tmp_path / "schedule.lrdsl"
    path.write_text("# warm up, then hold\nwarmup(4, 1)\n>> constant(0.5)\n")

    result = run_cli("eval", str(path), "--steps", "2,4", "--format", "csv")

    assert result.status == 0
    assert result.out == "step,lr\n2,0.5\n4,0.5\n"


def test_eval_lrdsl_error_points_into_file(run_cli, tmp_path):
    path = tmp_path / "schedule.lrdsl"
    path.write_text("warmup(4, 1)\n>> cosne(1, 5)\n")

    result = run_cli("eval", str(path))

    assert result.status == 1
    assert result.err.startswith(f"error: {path}:2:4: unknown schedule 'cosne'")


def test_eval_oversized_lrdsl_file_named(run_cli, tmp_path):
    path = tmp_path / "big.lrdsl"
    path.write_text("0.1\n" + "#" * 1_000_000 + "\n")

    result = run_cli("eval", str(path))

    assert result.status == 1
    assert result.err == (
        f"error: {path}: the schedule file is larger than 1000000 bytes\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", ["eval", "explain", "plot"])
@pytest.mark.parametrize("name", ["pipe.yaml", "pipe.lrdsl"])
def test_fifo_source_rejected(run_cli, tmp_path, command, name):
    path = tmp_path / name
    os.mkfifo(path)

    result = run_cli(command, str(path))

    assert result.status == 1
    assert result.err.startswith(
        f"error: {path}: is not a regular file (it is a FIFO, a device or a socket)"
    )


def test_closed_stdout_reported(run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)

    result = run_cli("eval", "0.1")

    assert result.status == 1
    assert result.err == "error: cannot write the output: standard output is closed\n"


def test_closed_stdout_in_subprocess(tmp_path):
    repository = Path(lrdsl.__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(repository))

    completed = subprocess.run(
        [sys.executable, "-m", "lrdsl", "eval", "0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL if os.name == "nt" else None,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        # Close standard output in the child, as `>&-` does.
        preexec_fn=(lambda: os.close(1)) if os.name != "nt" else None,
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr == (
        "error: cannot write the output: standard output is closed\n"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--steps", "٥"],
            "argument --steps: invalid step '٥': expected a whole number",
        ),
        (["--steps", "1_000"], "argument --steps: invalid step '1_000'"),
        (["--range", "0:١٠"], "argument --range: invalid STOP '١٠'"),
        (["--range", "0:10:²"], "argument --range: invalid STEP '²'"),
        (["--digits", "١"], "argument --digits: invalid digits '١'"),
        (["--total-steps", "٥"], "argument --total-steps: invalid value '٥'"),
        (
            ["--steps-per-epoch", "-5"],
            "argument --steps-per-epoch: invalid value -5: expected 0 < value <= 2**62",
        ),
        (["--steps", "9" * 5000], "argument --steps: invalid step '999"),
        (
            ["--var", "a=" + "9" * 5000],
            "argument --var: variable 'a': the integer has 5,000 digits",
        ),
        (
            ["--var", "a=010"],
            "argument --var: variable 'a': '010' is not a decimal integer",
        ),
    ],
)
def test_eval_number_arguments_are_ascii_decimal(run_cli, args, message):
    result = run_cli("eval", "warmup(5, 0.1)", *args)

    assert result.status == 2
    assert result.out == ""
    assert message in result.err
    assert len(result.err) < 2000


def test_eval_help_states_limits(run_cli):
    result = run_cli("eval", "--help")

    assert "1,000,000 steps" in result.out
    assert ".lrdsl (a file of schedule text)" in result.out


def test_eval_million_rows_quickly(run_cli):
    started = time.perf_counter()
    result = run_cli(
        "eval", "warmup(1000, 0.1) >> cosine(0.1, 999000)", "--range", "0:1000000"
    )

    # About 1.5 s in process on one core; the bound only catches a per-row
    # slowdown of several times.
    assert time.perf_counter() - started < 15
    lines = result.out.splitlines()
    assert len(lines) == 1_000_001
    assert lines[500] == "   499  0.0499"


def test_eval_row_limit_counts_every_schedule(run_cli, write_config):
    path = write_config(
        "schedules:\n  a: constant(1)\n  b: constant(2)\n  c: constant(3)\n"
    )

    result = run_cli("eval", str(path), "--range", "0:400000", "--format", "csv")

    assert result.status == 2
    assert "3 schedules make 1,200,000 rows, more than the limit" in result.err
    assert result.out == ""


def test_var_given_twice_is_usage_error(run_cli):
    result = run_cli("eval", "a", "--var", "a=1", "--var", "a=2")

    assert result.status == 2
    assert "--var a is given twice" in result.err
