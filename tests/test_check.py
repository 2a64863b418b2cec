"""Tests for ``lrdsl check`` and the ``expect:`` checks of configs."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

import lrdsl
from lrdsl import _check, _expect
from lrdsl.errors import Span

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))

# A warmup to 0.1 over 10 steps, then 0.01 from step 20: the rate is 0.0 at
# step 0, 0.05 at step 5, 0.1 on [10, 20) and 0.01 from step 20.
WARMUP_DROP = "warmup(10, 0.1) >> constant(0.1) for 10 >> 0.01"


def write_checked(write_config, expect: str, schedule: str = WARMUP_DROP) -> Path:
    """Write a config of ``schedule`` with the line ``expect: EXPECT``."""
    return write_config(f"total_steps: 40\nschedule: {schedule}\nexpect: {expect}\n")


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


# Every kind of expectation, passing.

PASSING = [
    pytest.param("{values: {0: 0.0, 5: 0.05, 10: 0.1, 20: 0.01}}", id="values"),
    pytest.param("{values: {0: 0, 5: 0.1 / 2, total_steps - 1: 0.01}}", id="exprs"),
    pytest.param("{values: {5: 0.0500001}, tolerance: 1e-5}", id="tolerance"),
    pytest.param("{values: {0: 1e-13}}", id="absolute-tolerance"),
    pytest.param("{max: 0.1}", id="max"),
    pytest.param("{min: 0.0}", id="min"),
    pytest.param("{monotone: [0, 20]}", id="monotone-up"),
    pytest.param("{monotone: [10, 40]}", id="monotone-down"),
    pytest.param("{increasing: [0, 20]}", id="increasing"),
    pytest.param("{decreasing: [10, 40]}", id="decreasing"),
    pytest.param("{decreasing: [[10, 40], [12, 15]]}", id="range-list"),
    pytest.param("[{max: 0.1}, {min: 0.0, tolerance: 0}]", id="list-of-checks"),
]


@pytest.mark.parametrize("expect", PASSING)
def test_expectation_passes(run_cli, write_config, expect):
    path = write_checked(write_config, expect)

    result = run_cli("check", str(path))

    assert result.out == "checked 1 file: 0 errors, 0 warnings\n"
    assert result.status == 0


# Every kind of expectation, failing: (expect, the failing entry as written,
# message, hint). The entry is on line 3, after "expect: ".

FAILING = [
    pytest.param(
        "{values: {0: 0.0, 5: 0.06}}",
        "5: 0.06",
        "expected lr 0.06 at step 5, got 0.05",
        "the tolerance is 1e-09 relative plus 1e-12 absolute",
        id="value",
    ),
    pytest.param(
        "{values: {total_steps - 1: 0.1}}",
        "total_steps - 1: 0.1",
        "expected lr 0.1 at step 39 (total_steps - 1), got 0.01",
        "the tolerance is 1e-09 relative plus 1e-12 absolute",
        id="value-expression-step",
    ),
    pytest.param(
        "{tolerance: 1e-3, values: {5: 0.0501}}",
        "5: 0.0501",
        "expected lr 0.0501 at step 5, got 0.05",
        "the tolerance is 0.001 relative plus 1e-12 absolute",
        id="value-tolerance",
    ),
    pytest.param(
        "{max: 0.05}",
        "max: 0.05",
        "expected lr <= 0.05 on steps [0, 40), got 0.06 at step 6, "
        "the first step above it",
        "the largest rate on [0, 40) is 0.1, at step 10",
        id="max",
    ),
    pytest.param(
        "{min: 0.02}",
        "min: 0.02",
        "expected lr >= 0.02 on steps [0, 40), got 0.0 at step 0, "
        "the first step below it",
        "the smallest rate on [0, 40) is 0.0, at step 0",
        id="min",
    ),
    pytest.param(
        "{increasing: [0, 21]}",
        "[0, 21]",
        "expected lr non-decreasing on steps [0, 21), but it falls from 0.1 to "
        "0.01 at step 20",
        None,
        id="increasing",
    ),
    pytest.param(
        "{decreasing: [5, 40]}",
        "[5, 40]",
        "expected lr non-increasing on steps [5, 40), but it rises from 0.05 to "
        "0.06 at step 6",
        None,
        id="decreasing",
    ),
    pytest.param(
        "{decreasing: [[10, 40], [5, 12]]}",
        "[5, 12]",
        "expected lr non-increasing on steps [5, 12), but it rises from 0.05 to "
        "0.06 at step 6",
        None,
        id="second-range",
    ),
    pytest.param(
        "{monotone: [5, 40]}",
        "[5, 40]",
        "expected lr monotone on steps [5, 40), but it falls from 0.1 to 0.01 "
        "at step 20 after it rises from 0.05 to 0.06 at step 6",
        None,
        id="monotone",
    ),
]


@pytest.mark.parametrize("expect, entry, message, hint", FAILING)
def test_expectation_fails(run_cli, write_config, expect, entry, message, hint):
    path = write_checked(write_config, expect)
    column = len("expect: ") + expect.index(entry) + 1

    result = run_cli("check", str(path))

    lines = result.out.split("\n")
    assert lines[0] == f"{path}:3:{column}: error: {message}"
    assert lines[1] == f"  expect: {expect}"
    assert lines[2] == " " * (column + 1) + "^" * len(entry)
    if hint is not None:
        assert lines[3] == f"hint: {hint}"
    assert result.out.endswith("checked 1 file: 1 error, 0 warnings\n")
    assert result.status == 1


def test_expectation_caret_spans_entry(run_cli, write_config):
    path = write_checked(write_config, "{max: 0.05}")

    result = run_cli("check", str(path))

    assert result.out.split("\n")[1:3] == [
        "  expect: {max: 0.05}",
        "           ^^^^^^^^^",
    ]


def test_every_failure_reported(run_cli, write_config):
    path = write_checked(write_config, "{values: {0: 1, 5: 1}, max: 0.01}")

    result = run_cli("check", str(path))

    errors = [line for line in result.out.split("\n") if ": error: " in line]
    assert [error.split(": error: ")[0] for error in errors] == [
        f"{path}:3:19",
        f"{path}:3:25",
        f"{path}:3:32",
    ]
    assert result.out.endswith("checked 1 file: 3 errors, 0 warnings\n")


def test_block_style_expect_positions(run_cli, write_config):
    path = write_config(
        """\
        steps_per_epoch: 10
        schedule: |
          warmup(1ep, 0.1)
          >> cosine(0.1, 2ep)
        expect:
          values:
            0: 0.0
            1ep: 0.2      # wrong: 0.1
          decreasing: [1ep, 3ep]
        """
    )

    result = run_cli("check", str(path))

    assert first_line(result.out) == (
        f"{path}:8:5: error: expected lr 0.2 at step 10 (1ep), got 0.1"
    )
    assert result.status == 1


def test_units_in_step_keys_follow_config(run_cli, write_config):
    # 2.5ep of 5 steps is 12.5, rounded down to 12 as in schedules.
    path = write_config(
        "steps_per_epoch: 5\ntotal_steps: 40\n"
        f"schedule: {WARMUP_DROP}\n"
        "expect: {values: {2.5ep: 0.1, 50%: 0.01, 1ep: 0.05}}\n"
    )

    result = run_cli("check", str(path))

    assert result.out == "checked 1 file: 0 errors, 0 warnings\n"


def test_rate_may_use_vars(run_cli, write_config):
    path = write_config(
        "vars: {peak: 0.1}\nschedule: warmup(10, peak)\n"
        "expect: {values: {5: peak / 2}, max: peak}\n"
    )

    result = run_cli("check", str(path))

    assert result.out == "checked 1 file: 0 errors, 0 warnings\n"


def test_cli_overrides_reach_expectations(run_cli, write_config):
    # --steps-per-epoch changes both the schedule and the meaning of 1ep.
    path = write_config(
        "steps_per_epoch: 10\nschedule: warmup(1ep, 0.1)\n"
        "expect: {values: {1ep - 1: 0.1 - 0.1 / steps_per_epoch}}\n"
    )

    assert run_cli("check", str(path)).status == 0
    result = run_cli("check", str(path), "--steps-per-epoch", "20")
    assert result.status == 0
    result = run_cli("check", str(path), "--var", "x=1", "--total-steps", "5")
    assert result.status == 0


def test_horizon_is_duration_without_total_steps(run_cli, write_config):
    path = write_config("schedule: warmup(10, 0.1) >> 0.2 for 5\nexpect: {max: 0.1}\n")

    result = run_cli("check", str(path))

    assert first_line(result.out) == (
        f"{path}:2:10: error: expected lr <= 0.1 on steps [0, 15), got 0.2 at "
        "step 10, the first step above it"
    )


def test_named_schedules_expectations(run_cli, write_config):
    path = write_config(
        """\
        total_steps: 10
        schedules:
          backbone: warmup(10, 0.1)
          head: constant(0.5)
        expect:
          backbone: {max: 0.1, increasing: [0, 10]}
          head: [{values: {0: 0.5}}, {min: 0.6}]
        """
    )

    result = run_cli("check", str(path))

    assert first_line(result.out) == (
        f"{path}:7:31: error: head: expected lr >= 0.6 on steps [0, 10), got 0.5 "
        "at step 0, the first step below it"
    )
    assert result.out.endswith("checked 1 file: 1 error, 0 warnings\n")


def test_long_runs_checked_quickly(write_config):
    path = write_config(
        """\
        steps_per_epoch: 100000
        total_steps: 10000000
        schedule: warmup(5ep, 0.1) >> cosine(0.1, 95ep)
        expect:
          max: 0.1
          min: 0.0
          increasing: [0, 5ep]
          decreasing: [5ep, 100ep]
        """
    )

    started = time.perf_counter()
    diagnostics = _check.check_file(path)
    elapsed = time.perf_counter() - started

    assert diagnostics == []
    # About 1 s on a laptop core; the bound only catches a per-step loop.
    assert elapsed < 15


class NanAtZero:
    """A stand-in schedule: NaN at step 0, then 0.1."""

    def __call__(self, steps):
        return np.where(steps == 0, np.nan, 0.1)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("max", "expected lr <= 1.0 on steps [0, 5), got nan at step 0"),
        ("min", "expected lr >= 0.0 on steps [0, 5), got nan at step 0"),
        ("decreasing", "expected lr non-increasing on steps [0, 5), got nan at step 0"),
        ("monotone", "expected lr monotone on steps [0, 5), got nan at step 0"),
    ],
)
def test_nan_rate_fails_range_checks(kind, message):
    limit = 1.0 if kind == "max" else 0.0
    expectation = _expect.Expectation(
        kind, "schedule", Span.at("", 0), 1e-9, limit=limit, start=0, stop=5
    )

    text, _ = _expect._verify(NanAtZero(), expectation)

    assert text.startswith(message)


def test_order_checks_span_chunks(monkeypatch):
    # A rise exactly where one chunk hands over to the next is still found.
    monkeypatch.setattr(_expect, "CHUNK_STEPS", 4)
    schedule = lrdsl.compile("constant(0.1) for 8 >> 0.2")
    expectation = _expect.Expectation(
        "decreasing", "schedule", Span.at("", 0), 1e-9, start=0, stop=12
    )

    text, _ = _expect._verify(schedule, expectation)

    assert text.endswith("but it rises from 0.1 to 0.2 at step 8")


# Malformed expect: sections: (expect, message, column, hint or None).

MALFORMED = [
    pytest.param(
        "{maxx: 0.1}",
        "expect: unknown check 'maxx'",
        10,
        "did you mean 'max'?",
        id="unknown-check",
    ),
    pytest.param(
        "{}",
        "expect has no checks",
        9,
        "add values:, max:, min: or a range",
        id="empty",
    ),
    pytest.param(
        "[{max: 1}, 3]",
        "expect must be a mapping of checks, got the integer '3'",
        20,
        "the checks are values, tolerance, max, min, monotone, increasing, decreasing",
        id="list-item",
    ),
    pytest.param(
        "{values: [0, 0.1]}",
        "values must be a mapping of steps to rates, got a list",
        18,
        "write values: {0: 0.0, 5ep: 0.1}",
        id="values-list",
    ),
    pytest.param(
        "{values: {5ep: 0.1}}",
        "5ep needs steps_per_epoch, which was not given",
        19,
        None,
        id="unit-without-context",
    ),
    pytest.param(
        "{values: {5xp: 0.1}}",
        "unknown unit 'xp' in 5xp; units are 'ep' (epochs) and '%' (of total_steps)",
        19,
        None,
        id="unknown-unit",
    ),
    pytest.param(
        "{values: {1.5: 0.1}}",
        "values: step must be a whole number of steps, got 1.5",
        19,
        "step counts are never rounded; write the whole number",
        id="fractional-step",
    ),
    pytest.param(
        "{values: {-1: 0.1}}",
        "values: step=-1 is invalid; expected 0 <= steps <= 2**62",
        19,
        None,
        id="negative-step",
    ),
    pytest.param(
        "{values: {0: peak}}",
        "unknown variable 'peak'",
        22,
        None,
        id="unknown-variable",
    ),
    pytest.param(
        "{values: {0: 0.1ep}}",
        "values: rate at step 0 is not a step count, so it takes no unit "
        "('ep' in 0.1ep)",
        22,
        "write the plain number 0.1",
        id="unit-on-rate",
    ),
    pytest.param(
        "{values: {0: true}}",
        "values: rate at step 0 must be a number, got the bool 'true'",
        22,
        None,
        id="bool-rate",
    ),
    pytest.param(
        "{max: [1]}",
        "max must be a number, got a list",
        15,
        None,
        id="list-max",
    ),
    pytest.param(
        "{tolerance: -1, max: 1}",
        "tolerance=-1.0 is invalid; expected 0 <= tolerance",
        21,
        None,
        id="negative-tolerance",
    ),
    pytest.param(
        "{increasing: 5}",
        "increasing must be a range [start, stop], got the integer '5'",
        22,
        "write increasing: [start, stop] or increasing: [[a, b], [c, d]]",
        id="range-scalar",
    ),
    pytest.param(
        "{increasing: [1, 2, 3]}",
        "increasing must be a range [start, stop] of 2 steps, got 3 items",
        22,
        None,
        id="range-three",
    ),
    pytest.param(
        "{monotone: [5, 5]}",
        "monotone: the range [5, 5) is empty; expected start < stop",
        20,
        None,
        id="range-empty",
    ),
    pytest.param(
        "{decreasing: [0, 1000000000]}",
        "decreasing: the range [0, 1000000000) has 1000000000 steps, more than "
        "the 100,000,000 that check evaluates",
        22,
        "check a shorter range",
        id="range-too-long",
    ),
    pytest.param(
        "{backbone: {max: 1}}",
        "expect: unknown check 'backbone'",
        10,
        None,
        id="name-in-single-config",
    ),
]


@pytest.mark.parametrize("expect, message, column, hint", MALFORMED)
def test_malformed_expect(run_cli, write_config, expect, message, column, hint):
    path = write_checked(write_config, expect)

    result = run_cli("check", str(path))

    lines = result.out.split("\n")
    assert lines[0] == f"{path}:3:{column}: error: {message}"
    if hint is not None:
        assert lines[3] == f"hint: {hint}"
    assert result.status == 1


def test_max_needs_horizon(run_cli, write_config):
    path = write_config("schedule: constant(0.1)\nexpect: {max: 0.1}\n")

    result = run_cli("check", str(path))

    assert result.out.split("\n")[0] == (
        f"{path}:2:10: error: max needs total_steps: the schedule never ends, so "
        "there is no horizon to check it on"
    )
    assert "hint: add total_steps: N to the config, or pass --total-steps" in (
        result.out
    )
    assert run_cli("check", str(path), "--total-steps", "100").status == 0


@pytest.mark.parametrize(
    "expect, message, column, hint",
    [
        pytest.param(
            "{max: 1}",
            "expect: no schedule named 'max'; the config has 'a', 'b'",
            10,
            "in a config with schedules:, expect: is keyed by schedule name, as "
            "in expect: {a: {max: ...}}",
            id="check-key",
        ),
        pytest.param(
            "{aa: {max: 1}}",
            "expect: no schedule named 'aa'; the config has 'a', 'b'",
            10,
            "did you mean 'a'?",
            id="unknown-name",
        ),
        pytest.param(
            "[{max: 1}]",
            "expect must map schedule names to their checks in a config with "
            "schedules:, got a list",
            9,
            "write expect: {name: {max: 0.1}}",
            id="list",
        ),
    ],
)
def test_malformed_named_expect(run_cli, write_config, expect, message, column, hint):
    path = write_config(f"schedules: {{a: '0.1', b: '0.2'}}\nexpect: {expect}\n")

    result = run_cli("check", str(path))

    lines = result.out.split("\n")
    assert lines[0] == f"{path}:2:{column}: error: {message}"
    assert lines[3] == f"hint: {hint}"


# Shipped examples, and broken copies of each.


def test_examples_pass_check(run_cli):
    result = run_cli("check", "--strict", str(EXAMPLES))

    assert result.out == f"checked {len(EXAMPLE_FILES)} files: 0 errors, 0 warnings\n"
    assert result.status == 0


def test_some_examples_have_expectations():
    with_expect = [
        path.name for path in EXAMPLE_FILES if lrdsl.load(path).expect is not None
    ]

    assert len(with_expect) >= 3


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _schedule_start(text: str) -> int:
    return re.search(r"^schedules?:", text, re.MULTILINE).end()


def _schedule_end(text: str) -> int:
    """Return where the schedule section ends: the next top-level key."""
    following = re.compile(r"^\w", re.MULTILINE).search(text, _schedule_start(text))
    return following.start() if following else len(text)


def _break_name(text: str) -> tuple[str, int, str]:
    """Drop the last letter of the first schedule name called in the file."""
    match = re.compile(r"([A-Za-z_]+)\(").search(text, _schedule_start(text))
    name = match.group(1)
    broken = text[: match.start()] + name[:-1] + text[match.end(1) :]
    return broken, match.start(), f"unknown schedule '{name[:-1]}'"


def _break_unit(text: str) -> tuple[str, int, str]:
    """Give the first number in the schedule the unknown unit ``xp``."""
    number = re.compile(r"(?<![\w.\-])(\d+(?:\.\d+)?)(?:ep|%)?(?=[,)\]])")
    match = number.search(text, _schedule_start(text), _schedule_end(text))
    broken = text[: match.end(1)] + "xp" + text[match.end() :]
    return broken, match.start(), f" in {match.group(1)}xp"


def _break_key(text: str) -> tuple[str, int, str]:
    return text + "total_step: 10\n", len(text), "unknown key 'total_step'"


def _break_expectation(text: str) -> tuple[str, int, str]:
    """Make an existing max fail, or add a value that fails."""
    existing = re.search(r"^  max: .*$", text, re.MULTILINE)
    if existing:
        broken = text[: existing.start()] + "  max: 1e-9" + text[existing.end() :]
        return broken, existing.start() + 2, "expected lr <= 1e-09 on steps"
    named = re.search(r"^  (\w+): ", text[_schedule_start(text) :], re.MULTILINE)
    checks = "{values: {0: 12345.0}}"
    line = (
        f"expect: {{{named.group(1)}: {checks}}}\n" if named else f"expect: {checks}\n"
    )
    return text + line, len(text) + line.index("0: 12345"), "expected lr 12345.0"


BREAKAGES = {
    "name": _break_name,
    "unit": _break_unit,
    "key": _break_key,
    "expectation": _break_expectation,
}


@pytest.mark.parametrize("kind", BREAKAGES)
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_broken_example_fails(run_cli, tmp_path, example, kind):
    text = example.read_text(encoding="utf-8")
    broken, index, fragment = BREAKAGES[kind](text)
    path = tmp_path / example.name
    path.write_text(broken, encoding="utf-8")
    line, column = _position(broken, index)

    result = run_cli("check", str(path))

    location, _, message = first_line(result.out).partition(": error: ")
    assert location == f"{path}:{line}:{column}"
    assert fragment in message
    assert result.out.endswith("checked 1 file: 1 error, 0 warnings\n")
    assert result.status == 1


# Warnings.


def test_compile_warning_is_located(run_cli, write_config):
    path = write_config("schedule: piecewise_decay([30, 10], [1, 2, 3])\n")

    result = run_cli("check", str(path))

    assert first_line(result.out) == (
        f"{path}:1:27: warning: piecewise_decay: boundaries are not sorted in "
        "increasing order; Paddle returns values[i] for the first i, in list "
        "order, with step < boundaries[i], and so does lrdsl"
    )
    assert result.out.split("\n")[1:3] == [
        "  schedule: piecewise_decay([30, 10], [1, 2, 3])",
        "                            ^^^^^^^^",
    ]
    assert result.out.endswith("checked 1 file: 0 errors, 1 warning\n")
    assert result.status == 0


def test_strict_fails_on_warnings(run_cli, write_config):
    path = write_config("schedule: piecewise_decay([30, 10], [1, 2, 3])\n")

    result = run_cli("check", "--strict", str(path))

    assert result.status == 1
    assert result.out.endswith("checked 1 file: 0 errors, 1 warning\n")


def test_analysis_warning_points_into_file(run_cli, write_config):
    pytest.importorskip("lrdsl._analysis")
    path = write_config("total_steps: 20\nschedule: |\n  linear(0.1, -0.1, 20)\n")

    result = run_cli("check", str(path))

    location, _, message = first_line(result.out).partition(": warning: ")
    assert location == f"{path}:3:3"
    assert message.startswith("the learning rate goes negative")
    assert result.status == 0


def test_no_python_warnings_printed(run_cli, write_config):
    path = write_config("schedule: piecewise_decay([30, 10], [1, 2, 3])\n")

    result = run_cli("check", str(path))

    assert result.err == ""


# Files and folders.


def test_lrdsl_text_file(run_cli, tmp_path):
    path = tmp_path / "step.lrdsl"
    path.write_text("# ImageNet step\nwarmup(5ep, 0.1)\n  >> cosin(0.1, 10)\n")

    result = run_cli("check", str(path), "--steps-per-epoch", "10")

    assert result.out.split("\n")[:4] == [
        f"{path}:3:6: error: unknown schedule 'cosin'",
        "    >> cosin(0.1, 10)",
        "       ^^^^^",
        "hint: did you mean 'cosine'?",
    ]
    assert result.status == 1


def test_lrdsl_text_file_needs_flags_for_units(run_cli, tmp_path):
    path = tmp_path / "warmup.lrdsl"
    path.write_text("warmup(5ep, 0.1)\n")

    result = run_cli("check", str(path))

    assert first_line(result.out) == (
        f"{path}:1:8: error: 5ep needs steps_per_epoch, which was not given"
    )
    assert run_cli("check", str(path), "--steps-per-epoch", "4").status == 0


def test_folder_recursive_sorted_and_hidden_skipped(run_cli, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".cache").mkdir()
    (tmp_path / "b" / "z.yml").write_text("schedule: '0.1'\n")
    (tmp_path / "b" / "a.lrdsl").write_text("0.1\n")
    (tmp_path / "c.yaml").write_text("schedule: cosine(0.1)\n")
    (tmp_path / "notes.txt").write_text("not checked\n")
    (tmp_path / ".cache" / "x.yaml").write_text("broken: [\n")

    result = run_cli("check", "--format", "json", str(tmp_path))

    report = json.loads(result.out)
    assert report["files"] == [
        str(tmp_path / "b" / "a.lrdsl"),
        str(tmp_path / "b" / "z.yml"),
        str(tmp_path / "c.yaml"),
    ]
    assert [found["file"] for found in report["diagnostics"]] == [
        str(tmp_path / "c.yaml")
    ]
    assert result.status == 1


def test_file_listed_twice_checked_once(run_cli, write_config):
    path = write_config("schedule: '0.1'\n")

    result = run_cli("check", str(path), str(path.parent))

    assert result.out == "checked 1 file: 0 errors, 0 warnings\n"


def test_summary_counts_files(run_cli, write_config):
    good = write_config("schedule: '0.1'\n", name="good.yaml")
    bad = write_config("schedule: warmpu(1, 0.1)\n", name="bad.yaml")

    result = run_cli("check", str(good), str(bad))

    assert result.out.endswith("checked 2 files: 1 error, 0 warnings\n")
    assert result.status == 1


# --key: schedules inside larger training configs.

TRAINING_CONFIG = """\
model: {depth: 50}
optimizer:
  name: sgd
  lr_schedule: |
    warmup(5ep, 0.1)
    >> cosine(0.1, 85ep)
"""


def test_key_reads_nested_schedule(run_cli, write_config):
    path = write_config(TRAINING_CONFIG, name="train.yaml")

    result = run_cli(
        "check", str(path), "--key", "optimizer.lr_schedule", "--steps-per-epoch", "10"
    )

    assert result.out == "checked 1 file: 0 errors, 0 warnings\n"
    assert result.status == 0


def test_key_error_points_into_file(run_cli, write_config):
    path = write_config(TRAINING_CONFIG.replace("cosine", "cosin"), name="t.yaml")

    result = run_cli(
        "check", str(path), "--key", "optimizer.lr_schedule", "--steps-per-epoch", "10"
    )

    assert result.out.split("\n")[:3] == [
        f"{path}:6:8: error: unknown schedule 'cosin'",
        "      >> cosin(0.1, 85ep)",
        "         ^^^^^",
    ]
    assert result.status == 1


def test_key_missing_suggests(run_cli, write_config):
    path = write_config(TRAINING_CONFIG, name="train.yaml")

    result = run_cli("check", str(path), "--key", "optimizer.lr_shedule")

    assert result.out.split("\n")[:4] == [
        f"{path}:2:1: error: key path: optimizer has no key 'lr_shedule'",
        "  optimizer:",
        "  ^^^^^^^^^",
        "hint: did you mean 'lr_schedule'?",
    ]


def test_key_without_flags_reports_unit(run_cli, write_config):
    path = write_config(TRAINING_CONFIG, name="train.yaml")

    result = run_cli("check", str(path), "--key", "optimizer.lr_schedule")

    assert first_line(result.out) == (
        f"{path}:5:12: error: 5ep needs steps_per_epoch, which was not given"
    )


# Output formats and exit codes.


def test_json_output(run_cli, write_config):
    path = write_checked(write_config, "{max: 0.05}")

    result = run_cli("check", "--format", "json", str(path))

    assert json.loads(result.out) == {
        "files": [str(path)],
        "diagnostics": [
            {
                "file": str(path),
                "line": 3,
                "column": 10,
                "end_line": 3,
                "end_column": 19,
                "severity": "error",
                "message": "expected lr <= 0.05 on steps [0, 40), got 0.06 at "
                "step 6, the first step above it",
                "hint": "the largest rate on [0, 40) is 0.1, at step 10",
            }
        ],
        "summary": {"files": 1, "errors": 1, "warnings": 0, "valid": False},
    }
    assert result.status == 1


def test_json_whole_file_error_has_null_position(run_cli, write_config):
    path = write_config("total_steps: 10\n")

    result = run_cli("check", "--format", "json", str(path))

    [found] = json.loads(result.out)["diagnostics"]
    assert found["line"] is None
    assert found["column"] is None
    assert found["message"] == "the config has no schedule"


def test_json_strict_marks_warnings_invalid(run_cli, write_config):
    path = write_config("schedule: piecewise_decay([30, 10], [1, 2, 3])\n")

    lenient = json.loads(run_cli("check", "--format", "json", str(path)).out)
    strict = json.loads(run_cli("check", "--format", "json", "--strict", str(path)).out)

    assert lenient["summary"]["valid"] is True
    assert strict["summary"]["valid"] is False
    assert lenient["diagnostics"][0]["severity"] == "warning"


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param([], "the following arguments are required: PATH", id="none"),
        pytest.param(["missing.yaml"], "no such file or folder: missing.yaml"),
        pytest.param(["--format", "xml", "x"], "invalid choice: 'xml'", id="format"),
    ],
)
def test_usage_errors(run_cli, args, message):
    result = run_cli("check", *args)

    assert result.status == 2
    assert message in result.err
    assert result.out == ""


def test_empty_folder_is_usage_error(run_cli, tmp_path):
    result = run_cli("check", str(tmp_path))

    assert result.status == 2
    assert f"lrdsl check: error: no .yaml, .yml or .lrdsl files in {tmp_path}" in (
        result.err
    )


def test_other_suffix_is_usage_error(run_cli, tmp_path):
    path = tmp_path / "train.json"
    path.write_text("{}")

    result = run_cli("check", str(path))

    assert result.status == 2
    assert "expected a .yaml, .yml or .lrdsl file" in result.err


def test_internal_error_is_reported_not_raised(run_cli, write_config, monkeypatch):
    def broken(config):
        raise RuntimeError("boom")

    monkeypatch.setattr(_check, "check_expectations", broken)
    path = write_config("schedule: '0.1'\n")

    result = run_cli("check", str(path))

    assert result.out.split("\n")[:2] == [
        f"{path}: error: internal error while checking: RuntimeError: boom",
        "hint: this is a bug in lrdsl; please report it with the file",
    ]
    assert result.status == 1


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe",
        b"schedule: [\n",
        b"schedule: '0.1'\nexpect: {values: {" + b"[" * 3000 + b"}}\n",
        b"schedule: '0.1'\nexpect: {values: {0: " + b"(" * 500 + b"1}}\n",
    ],
    ids=["utf16", "unclosed", "deep-yaml", "deep-expression"],
)
def test_malformed_files_never_traceback(run_cli, write_config, content):
    path = write_config(content)

    result = run_cli("check", str(path))

    assert result.status == 1
    assert "Traceback" not in result.out + result.err
    assert "internal error" not in result.out


# Limits that keep one file's check to a few seconds.


def test_range_checks_share_a_file_budget(run_cli, write_config):
    # Each range is under the per-range limit; together they are over the
    # per-file one. The error comes before any step is evaluated.
    path = write_checked(
        write_config, "{increasing: [0, 60000000], decreasing: [0, 50000000]}"
    )

    started = time.perf_counter()
    result = run_cli("check", str(path))

    assert time.perf_counter() - started < 5
    assert result.status == 1
    assert first_line(result.out) == (
        f"{path}:3:49: error: decreasing: with the range [0, 50000000), the "
        "range checks of this file evaluate 110,000,000 steps, more than the "
        "100,000,000 that check evaluates per file"
    )


def test_many_short_ranges_hit_file_budget(run_cli, write_config):
    ranges = ", ".join(["[0, 1000000]"] * 101)
    path = write_checked(write_config, f"{{monotone: [{ranges}]}}")

    result = run_cli("check", str(path))

    assert result.status == 1
    assert "evaluate 101,000,000 steps, more than the 100,000,000" in result.out
    assert result.out.endswith("checked 1 file: 1 error, 0 warnings\n")


def test_analysis_cut_adds_note(run_cli, write_config, monkeypatch):
    monkeypatch.setattr(_check, "MAX_CHECK_STEPS", 1000)
    path = write_config("total_steps: 5000\nschedule: constant(0.1)\n")

    result = run_cli("check", str(path))

    assert result.status == 0
    assert first_line(result.out) == (
        f"{path}:2:11: note: the value analysis stopped at step 1,000 of "
        "5,000, because check scans at most 1,000 steps per file; the steps "
        "after it are not analyzed"
    )
    assert result.out.endswith("checked 1 file: 0 errors, 0 warnings\n")


def test_analysis_cut_does_not_fail_strict(run_cli, write_config, monkeypatch):
    monkeypatch.setattr(_check, "MAX_CHECK_STEPS", 1000)
    path = write_config("total_steps: 5000\nschedule: constant(0.1)\n")

    result = run_cli("check", "--strict", str(path))

    assert result.status == 0


def test_analysis_budget_shared_by_schedules(write_config, monkeypatch):
    monkeypatch.setattr(_check, "MAX_CHECK_STEPS", 1000)
    path = write_config(
        "total_steps: 800\nschedules:\n  a: constant(0.1)\n  b: constant(0.2)\n"
    )

    messages = [found.message for found in _check.check_file(path)]

    # Each of the two schedules gets half of the budget.
    assert (
        messages
        == [
            "the value analysis stopped at step 500 of 800, because check scans "
            "at most 1,000 steps per file; the steps after it are not analyzed"
        ]
        * 2
    )


def test_every_schedule_analyzed_within_budget(write_config, monkeypatch):
    monkeypatch.setattr(_check, "MAX_CHECK_STEPS", 1000)
    path = write_config(
        "total_steps: 5000\nschedules:\n  a: constant(0.1)\n"
        "  b: constant(1) for 5 >> constant(-1)\n"
    )

    messages = [found.message for found in _check.check_file(path)]

    assert "the learning rate goes negative: -1 at step 5" in messages


def test_far_segment_start_analysis_is_cut(write_config):
    # Without total_steps, the analysis scans 100,000 steps past the last
    # segment start, here 2**61; the cut keeps that to 100,000,000 steps.
    path = write_config(
        f"schedule: constant(0.1) for {2**61} >> constant(0.2)\n"
        "expect: {values: {0: 0.1}}\n"
    )

    started = time.perf_counter()
    diagnostics = _check.check_file(path)

    # About 2 s on a laptop core; before the cut this scan never ended.
    assert time.perf_counter() - started < 60
    assert [found.severity for found in diagnostics] == ["note"]
    assert diagnostics[0].message.startswith(
        "the value analysis stopped at step 100,000,000 of "
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_reported_not_read(run_cli, tmp_path):
    path = tmp_path / "pipe.lrdsl"
    os.mkfifo(path)

    result = run_cli("check", str(path))

    assert result.status == 1
    assert first_line(result.out) == (
        f"{path}: error: is not a regular file (it is a FIFO, a device or a "
        "socket), so it cannot be read as a schedule file"
    )


def test_oversized_lrdsl_file_named(run_cli, tmp_path):
    path = tmp_path / "big.lrdsl"
    path.write_text("0.1\n" + "#" * 1_000_000 + "\n")

    result = run_cli("check", str(path))

    assert first_line(result.out) == (
        f"{path}: error: the schedule file is larger than 1000000 bytes"
    )


@pytest.mark.parametrize(
    "text", ["0", "0.05", "7e-2", "1e-300", "5e-324", "123456789012345678.5"]
)
def test_plain_rate_shortcut_matches_parser(text):
    # Plain rates in expect: skip the lrdsl parser and are read by float().
    assert _expect._PLAIN_RATE.fullmatch(text)
    assert lrdsl.compile(text)(0) == float(text)


def test_long_values_table_read_quickly(run_cli, write_config):
    entries = ", ".join(f"{step}: 0.01" for step in range(20, 20020))
    path = write_checked(write_config, f"{{values: {{{entries}}}}}")

    started = time.perf_counter()
    result = run_cli("check", str(path))

    # About 1.5 s on a laptop core, mostly PyYAML; parsing each entry with
    # lark took about 8 s.
    assert time.perf_counter() - started < 6
    assert result.status == 0


def test_merge_key_in_expect_named(run_cli, write_config):
    path = write_config(
        "schedule: warmup(10, 0.1)\nexpect:\n  base: &b {max: 0.1}\n  <<: *b\n"
    )

    result = run_cli("check", str(path))

    assert result.status == 1
    assert first_line(result.out) == (
        f"{path}:4:3: error: invalid YAML: a merge key '<<' is not supported here"
    )
    assert "hint: write the keys out instead of merging them" in result.out


def test_symlink_loop_named(run_cli, tmp_path):
    path = tmp_path / "loop.yaml"
    path.symlink_to(path)

    result = run_cli("check", str(path))

    assert result.status == 2
    assert "is a symbolic link to a missing file or a link loop" in result.err
