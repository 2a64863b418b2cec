"""Tests for YAML configs: loading, validation, and error positions in the file."""

from __future__ import annotations

import math
import os
import time

import pytest

import lrdsl
from lrdsl import ConfigError, LrdslError

# Each case has an error at the variable `nope` or at a quoted string. The
# expected line and column are those of its first character in the YAML file.
# The caret line is the last line of the excerpt.
STYLE_CASES = [
    pytest.param(
        """\
        steps_per_epoch: 10
        schedule: warmup(5, 0.1)
          >> constant(0.1) * nope
        """,
        (3, 22),
        "    >> constant(0.1) * nope",
        "                       ^^^^",
        id="plain-multiline",
    ),
    pytest.param(
        """\
        schedule: 'warmup(5, 0.1)

            >> constant(0.1) * nope'
        """,
        (3, 24),
        "      >> constant(0.1) * nope'",
        "                         ^^^^",
        id="single-quoted-multiline",
    ),
    pytest.param(
        """\
        schedule: 'warmup(5, 0.1) >> ''x'''
        """,
        (1, 30),
        "  schedule: 'warmup(5, 0.1) >> ''x'''",
        "                               ^^",
        id="single-quoted-doubled-quote",
    ),
    pytest.param(
        """\
        schedule: "warmup(5,\\t0.1) \\
            >> constant(0.1) * nope"
        """,
        (2, 24),
        '      >> constant(0.1) * nope"',
        "                         ^^^^",
        id="double-quoted-escapes",
    ),
    pytest.param(
        """\
        schedule: "warmup(5, 0.1, start=\\"x\\")"
        """,
        (1, 33),
        '  schedule: "warmup(5, 0.1, start=\\"x\\")"',
        "                                  ^^^^^",
        id="double-quoted-escaped-string",
    ),
    pytest.param(
        """\
        schedule: |
          # warm up first
          warmup(5, 0.1)
          >> constant(0.1) * nope
        total_steps: 100
        """,
        (4, 22),
        "    >> constant(0.1) * nope",
        "                       ^^^^",
        id="literal",
    ),
    pytest.param(
        """\
        schedule: |2
            warmup(5, 0.1)
          >> constant(0.1) * nope
        """,
        (3, 22),
        "    >> constant(0.1) * nope",
        "                       ^^^^",
        id="literal-indentation-indicator",
    ),
    pytest.param(
        """\
        schedule: >-
          warmup(5, 0.1)
          >> constant(0.1)
          * nope
        """,
        (4, 5),
        "    * nope",
        "      ^^^^",
        id="folded",
    ),
    pytest.param(
        """\
        schedule: !!str &s warmup(5, 0.1) * nope
        """,
        (1, 37),
        "  schedule: !!str &s warmup(5, 0.1) * nope",
        "                                      ^^^^",
        id="tag-and-anchor",
    ),
    pytest.param(
        """\
        schedules: {a: "constant(0.1)", b: "warmup(5, nope)"}
        """,
        (1, 47),
        '  schedules: {a: "constant(0.1)", b: "warmup(5, nope)"}',
        "                                                ^^^^",
        id="flow-mapping",
    ),
]


@pytest.mark.parametrize("text, position, source_line, caret_line", STYLE_CASES)
def test_schedule_error_position(write_config, text, position, source_line, caret_line):
    path = write_config(text)

    with pytest.raises(LrdslError) as caught:
        lrdsl.load(path)

    error = caught.value
    assert error.filename == str(path)
    assert (error.line, error.column) == position
    lines = str(error).splitlines()
    assert lines[0].startswith(f"{path}:{position[0]}:{position[1]}: ")
    assert lines[1] == source_line
    assert lines[2] == caret_line


def test_schedule_error_full_rendering(write_config):
    path = write_config(
        """\
        schedule: |
          warmup(5, 0.1)
          >> constant(0.1) * nope
        """
    )

    with pytest.raises(LrdslError) as caught:
        lrdsl.load(path)

    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}:3:22: unknown variable 'nope'"
    assert lines[1] == "    >> constant(0.1) * nope"
    assert lines[2] == "                       ^^^^"


def test_crlf_line_endings_keep_positions(write_config):
    path = write_config(b"schedule: |\r\n  warmup(5, 0.1)\r\n  >> nope\r\n")

    with pytest.raises(LrdslError) as caught:
        lrdsl.load(path)

    assert (caught.value.line, caught.value.column) == (3, 6)
    assert str(caught.value).splitlines()[1] == "    >> nope"


def test_byte_order_mark_is_skipped(write_config):
    path = write_config("\ufeffschedule: nope".encode())

    with pytest.raises(LrdslError) as caught:
        lrdsl.load(path)

    assert (caught.value.line, caught.value.column) == (1, 11)


# Loading valid configs.


def test_single_schedule_with_vars_and_units(write_config):
    path = write_config(
        """\
        steps_per_epoch: 10
        total_steps: 100
        vars: {peak: 0.1, floor: 1e-3}
        schedule: |
          warmup(2ep, peak)       # 20 steps
          >> linear(peak, floor, 50%)
        """
    )

    config = lrdsl.load(path)

    assert config.path == path
    assert config.steps_per_epoch == 10
    assert config.total_steps == 100
    assert config.variables == {"peak": 0.1, "floor": 0.001}
    assert list(config.schedules) == ["schedule"]
    assert config.expect is None
    schedule = config.schedule
    assert config["schedule"] is schedule
    assert schedule.duration == 70
    assert schedule(10) == pytest.approx(0.05, rel=1e-12)
    assert schedule(20) == pytest.approx(0.1, rel=1e-12)
    assert schedule(70) == pytest.approx(0.001, rel=1e-12)


def test_exponent_without_dot_is_float(write_config):
    # PyYAML reads `1e-3` as a string; YAML 1.2 and this loader read a float.
    path = write_config("vars: {low: 1e-3, high: 2E+1}\nschedule: low + high\n")

    config = lrdsl.load(path)

    assert config.variables == {"low": 0.001, "high": 20.0}
    assert config.schedule(0) == pytest.approx(20.001)


def test_number_schedule_is_constant(write_config):
    config = lrdsl.load(write_config("schedule: 0.5\n"))

    assert config.schedule(1000) == 0.5
    assert math.isinf(config.schedule.duration)


def test_several_schedules(write_config):
    path = write_config(
        """\
        vars: {peak: 0.2}
        schedules:
          backbone: warmup(10, peak)
          head: "constant(peak) * 10"
        """
    )

    config = lrdsl.load(path)

    assert list(config.schedules) == ["backbone", "head"]
    assert config["backbone"](5) == pytest.approx(0.1)
    assert config["head"](5) == pytest.approx(2.0)


def test_several_schedules_have_no_single_schedule(write_config):
    config = lrdsl.load(
        write_config("schedules: {backbone: '0.1', head: '0.2'}\n", "two.yaml")
    )

    with pytest.raises(ConfigError) as caught:
        _ = config.schedule

    message = str(caught.value)
    assert message.startswith(f"{config.path}: the config has 2 schedules")
    assert "'backbone', 'head'" in message
    assert "hint: select one by name, for example config['backbone']" in message


def test_unknown_schedule_name_suggests(write_config):
    config = lrdsl.load(write_config("schedules: {backbone: '0.1', head: '0.2'}\n"))

    with pytest.raises(ConfigError) as caught:
        config["haed"]

    assert "no schedule named 'haed'" in str(caught.value)
    assert caught.value.hint == "did you mean 'head'?"


def test_expect_is_stored_raw(write_config):
    path = write_config(
        """\
        schedule: warmup(10, 0.1)
        expect:
          at: {0: 0.0, 10: 0.1}
          max: 0.1
        """
    )

    config = lrdsl.load(path)

    assert config.expect == {"at": {0: 0.0, 10: 0.1}, "max": 0.1}


def test_expect_list_is_stored_raw(write_config):
    config = lrdsl.load(write_config("schedule: '0.1'\nexpect: [{max: 0.1}]\n"))

    assert config.expect == [{"max": 0.1}]


def test_whole_float_step_count_accepted(write_config):
    config = lrdsl.load(write_config("total_steps: 4.5e5\nschedule: '0.1'\n"))

    assert config.total_steps == 450000
    assert isinstance(config.total_steps, int)


def test_keyword_arguments_override_file(write_config):
    path = write_config(
        "steps_per_epoch: 10\nvars: {peak: 0.1}\nschedule: warmup(1ep, peak)\n"
    )

    config = lrdsl.load(path, steps_per_epoch=4, variables={"peak": 1.0})

    assert config.steps_per_epoch == 4
    assert config.variables == {"peak": 1.0}
    assert config.schedule.duration == 4
    assert config.schedule(2) == 0.5


def test_repr_names_schedules(write_config):
    config = lrdsl.load(write_config("schedules: {a: '1', b: '2'}\n"))

    assert repr(config) == f"lrdsl.Config({str(config.path)!r}, schedules=['a', 'b'])"


# Malformed configs: (YAML text, message fragment, (line, column) or None).

CONFIG_ERROR_CASES = [
    pytest.param(
        "schedule: '0.1'\nschedule: '0.2'\n",
        "duplicate key 'schedule' (first defined on line 1)",
        (2, 1),
        id="duplicate-top-level-key",
    ),
    pytest.param(
        "vars:\n  peak: 0.1\n  peak: 0.2\nschedule: peak\n",
        "duplicate key 'peak' (first defined on line 2)",
        (3, 3),
        id="duplicate-var",
    ),
    pytest.param(
        "schedule: '0.1'\nexpect:\n  - {at: 1, at: 2}\n",
        "duplicate key 'at' (first defined on line 3)",
        (3, 13),
        id="duplicate-nested-key",
    ),
    pytest.param(
        "schedules: {a: '1', a: '2'}\n",
        "duplicate key 'a' (first defined on line 1)",
        (1, 21),
        id="duplicate-schedule-name",
    ),
    pytest.param(
        "schedule: '0.1'\nsteps_per_epoch: '5005'\n",
        "steps_per_epoch must be a whole number, got the string '5005'",
        (2, 18),
        id="quoted-number",
    ),
    pytest.param(
        "schedule: '0.1'\ntotal_steps: [1, 2]\n",
        "total_steps must be a whole number, got a list",
        (2, 14),
        id="list-step-count",
    ),
    pytest.param(
        "schedule: '0.1'\ntotal_steps: true\n",
        "total_steps must be a whole number, got the bool 'true'",
        (2, 14),
        id="bool-step-count",
    ),
    pytest.param(
        "schedule: '0.1'\ntotal_steps: 4.5\n",
        "total_steps must be a whole number, got the number '4.5'",
        (2, 14),
        id="fractional-step-count",
    ),
    pytest.param(
        "schedule: '0.1'\nsteps_per_epoch: 0\n",
        "steps_per_epoch=0 is invalid; expected 0 < steps_per_epoch <= 2**62",
        (2, 18),
        id="zero-step-count",
    ),
    pytest.param(
        "schedule: '0.1'\nsteps_per_epoch:\n",
        "steps_per_epoch must be a whole number, got an empty value",
        (2, 17),
        id="empty-step-count",
    ),
    pytest.param(
        "schedule: '0.1'\nvars: [1, 2]\n",
        "vars must be a mapping of names to values, got a list",
        (2, 7),
        id="vars-list",
    ),
    pytest.param(
        "schedule: '0.1'\nvars: {peak: {a: 1}}\n",
        "variable 'peak' = {'a': 1} is invalid",
        (2, 14),
        id="var-mapping-value",
    ),
    pytest.param(
        "schedule: '0.1'\nvars: {1x: 1}\n",
        "invalid variable name '1x'",
        (2, 8),
        id="invalid-var-name",
    ),
    pytest.param(
        "schedule: '0.1'\nexpect: 0.1\n",
        "expect must be a mapping or a list of checks, got the number '0.1'",
        (2, 9),
        id="expect-scalar",
    ),
    pytest.param(
        "schedule:\n",
        "schedule 'schedule' must be schedule text, got an empty value",
        (1, 10),
        id="empty-schedule",
    ),
    pytest.param(
        "schedule: [warmup(5, 0.1)]\n",
        "schedule 'schedule' must be schedule text, got a list",
        (1, 11),
        id="list-schedule",
    ),
    pytest.param(
        "schedule: true\n",
        "schedule 'schedule' must be schedule text, got the bool 'true'",
        (1, 11),
        id="bool-schedule",
    ),
    pytest.param(
        "schedules: [a, b]\n",
        "schedules must be a mapping of names to schedules, got a list",
        (1, 12),
        id="schedules-list",
    ),
    pytest.param(
        "schedules: {}\n",
        "schedules is empty",
        (1, 12),
        id="schedules-empty",
    ),
    pytest.param(
        "schedule: '0.1'\nschedules: {a: '0.1'}\n",
        "the config has both 'schedule' and 'schedules'",
        (2, 12),
        id="schedule-and-schedules",
    ),
    pytest.param(
        "total_steps: 10\n",
        "the config has no schedule",
        None,
        id="no-schedule",
    ),
    pytest.param(
        "",
        "the config is empty",
        None,
        id="empty-file",
    ),
    pytest.param(
        "- schedule: '0.1'\n",
        "the config must be a mapping of keys, got a list",
        (1, 1),
        id="root-list",
    ),
    pytest.param(
        "schedule: '0.1'\n1: 2\n",
        "top-level keys must be strings, got the integer '1'",
        (2, 1),
        id="integer-key",
    ),
    pytest.param(
        "schedule: '0.1'\n---\nschedule: '0.2'\n",
        "invalid YAML: expected a single document in the stream (line 1), "
        "but found another document",
        (2, 1),
        id="several-documents",
    ),
    pytest.param(
        "schedule: '0.1\n",
        "invalid YAML: while scanning a quoted scalar (line 1), "
        "found unexpected end of stream",
        (2, 1),
        id="unclosed-quote",
    ),
    pytest.param(
        "schedule: '0.1'\nexpect: &a [*a]\n",
        "the alias *a is inside the value it refers to, which makes the value infinite",
        (2, 13),
        id="recursive-alias",
    ),
    pytest.param(
        "schedule: '0.1'\nvars: " + "[" * 5000 + "\n",
        "the YAML is nested too deeply",
        None,
        id="deep-nesting",
    ),
    pytest.param(
        "schedule: \x07\n",
        "invalid YAML: the character '\\x07' is not allowed",
        (1, 11),
        id="control-character",
    ),
]


@pytest.mark.parametrize("text, message, position", CONFIG_ERROR_CASES)
def test_config_error(write_config, text, message, position):
    path = write_config(text)

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    error = caught.value
    assert message in error.message
    assert error.filename == str(path)
    if position is None:
        assert error.line is None
    else:
        assert (error.line, error.column) == position


def test_unknown_key_suggests_close_match(write_config):
    path = write_config("schedul: warmup(5, 0.1)\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert str(caught.value).splitlines() == [
        f"{path}:1:1: unknown key 'schedul'",
        "  schedul: warmup(5, 0.1)",
        "  ^^^^^^^",
        "hint: did you mean 'schedule' or 'schedules'?",
    ]


def test_unknown_key_lists_known_keys(write_config):
    path = write_config("schedule: '0.1'\nlearning_rate: 0.1\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert caught.value.message == "unknown key 'learning_rate'"
    assert caught.value.hint == (
        "the known keys are expect, schedule, schedules, steps_per_epoch, "
        "total_steps, vars"
    )


def test_quoted_number_hint(write_config):
    path = write_config("schedule: '0.1'\nsteps_per_epoch: \"5005\"\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert caught.value.hint == "write steps_per_epoch: 5005 without quotes"


def test_yaml_syntax_error_rendering(write_config):
    path = write_config("steps_per_epoch: 10\n  total_steps: 100\nschedule: '0.1'\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert str(caught.value).splitlines() == [
        f"{path}:2:14: invalid YAML: mapping values are not allowed here",
        "    total_steps: 100",
        "               ^",
    ]


def test_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert str(caught.value) == f"{path}: config file not found"


def test_directory_is_not_config(tmp_path):
    with pytest.raises(ConfigError) as caught:
        lrdsl.load(tmp_path)

    assert str(caught.value) == f"{tmp_path}: is a directory, not a config file"


def test_invalid_utf8(write_config):
    path = write_config(b"vars: {peak: 0.1}\nschedule: \xff\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert caught.value.message == "invalid UTF-8 byte b'\\xff' at line 2, column 11"
    assert caught.value.hint == "save the config file as UTF-8"


def test_oversized_file(write_config):
    path = write_config("schedule: '0.1'\n" + "#" * 1_000_000 + "\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert "larger than 1000000 bytes" in caught.value.message


# Inputs that must fail fast with a ConfigError: alias bombs, numbers YAML
# 1.1 reads in other bases, keys equal in value, paths that are not paths.

# 10 levels of 10 aliases each: about 10**10 values once expanded.
ALIAS_BOMB = "".join(
    f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n"
    for level in range(1, 11)
)


def _alias_bomb(section: str) -> str:
    return f"schedule: '0.1'\n{section}:\n  l0: &l0 [1, 1, 1]\n{ALIAS_BOMB}"


@pytest.mark.parametrize("section", ["vars", "expect", "learning_rate"])
def test_alias_bomb_rejected_quickly(write_config, section):
    path = write_config(_alias_bomb(section))
    began = time.perf_counter()

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert time.perf_counter() - began < 5
    error = caught.value
    assert error.message == (
        "the YAML has more than 100,000 values, counting each alias as a copy "
        "of the value it refers to"
    )
    # l4 stands for 41,111 values, so its second alias in l5 crosses the limit.
    assert (error.line, error.column) == (8, 17)
    assert error.excerpt().splitlines()[1].strip() == "^^^"


def test_aliases_under_limit_load(write_config):
    path = write_config(
        """\
        vars:
          steps: &steps [30, 60]
        schedules:
          a: &text piecewise([30, 60], [0.1, 0.01, 0.001])
          b: *text
        expect:
          a: {values: {0: 0.1}}
          b: {values: {0: 0.1}}
        """
    )

    config = lrdsl.load(path)

    assert config.variables == {"steps": [30, 60]}
    assert config["b"](60) == pytest.approx(0.001)


def test_parse_variable_alias_bomb():
    from lrdsl._config import parse_variable

    levels = ["&a0 [1, 1, 1]"] + [
        f"&a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]"
        for level in range(1, 11)
    ]

    with pytest.raises(ValueError) as caught:
        parse_variable(f"bomb=[{', '.join(levels)}]")

    assert "more than 100,000 values" in str(caught.value)


YAML11_NUMBER_CASES = [
    pytest.param(
        "total_steps: 010\n",
        "total_steps: '010' is not a decimal integer; YAML 1.1 reads it as 8 (octal)",
        (1, 14),
        id="octal-total-steps",
    ),
    pytest.param(
        "steps_per_epoch: 1:30\n",
        "steps_per_epoch: '1:30' is not a decimal integer; YAML 1.1 reads it "
        "as 90 (base 60)",
        (1, 18),
        id="base-60-steps-per-epoch",
    ),
    pytest.param(
        "total_steps: 1_000\n",
        "total_steps: '1_000' is not a decimal integer; YAML 1.1 reads it as "
        "1000 ('_'-separated)",
        (1, 14),
        id="separators-total-steps",
    ),
    pytest.param(
        "vars: {a: 0x10}\n",
        "variable 'a': '0x10' is not a decimal integer; YAML 1.1 reads it as "
        "16 (hexadecimal)",
        (1, 11),
        id="hexadecimal-var",
    ),
    pytest.param(
        "vars: {a: [1, 0b11]}\n",
        "variable 'a': '0b11' is not a decimal integer; YAML 1.1 reads it as 3 "
        "(binary)",
        (1, 15),
        id="binary-in-list-var",
    ),
    pytest.param(
        "vars: {a: 1:30.5}\n",
        "variable 'a': '1:30.5' is not a decimal number; YAML 1.1 reads it as "
        "90.5 (base 60)",
        (1, 11),
        id="base-60-float-var",
    ),
    pytest.param(
        "expect: {values: {007: 0.1}}\n",
        "expect: '007' is not a decimal integer; YAML 1.1 reads it as 7 (octal)",
        (1, 19),
        id="octal-expect-key",
    ),
]


@pytest.mark.parametrize("text, message, position", YAML11_NUMBER_CASES)
def test_yaml11_numbers_rejected(write_config, text, message, position):
    path = write_config("schedule: '0.1'\n" + text)

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    error = caught.value
    assert error.message == message
    assert (error.line - 1, error.column) == position
    assert error.hint == "write numbers in decimal, with no leading zeros, '_' or ':'"


@pytest.mark.parametrize("text", ["+5", "-0", "0", "1e-3", "-1.5e+2", ".5"])
def test_decimal_numbers_accepted(write_config, text):
    path = write_config(f"schedule: '0.1'\nvars: {{a: {text}}}\n")

    assert lrdsl.load(path).variables["a"] == float(text)


HUGE = "9" * 5000

HUGE_INTEGER_CASES = [
    pytest.param(
        f"total_steps: {HUGE}\n",
        "total_steps is an integer of 5,000 digits; expected 0 < total_steps <= 2**62",
        id="total-steps",
    ),
    pytest.param(
        f"steps_per_epoch: {'1' * 20}\n",
        "steps_per_epoch is an integer of 20 digits; expected 0 < "
        "steps_per_epoch <= 2**62",
        id="steps-per-epoch-20-digits",
    ),
    pytest.param(
        f"vars: {{a: {HUGE}}}\n",
        "variable 'a': the integer has 5,000 digits; integers in a config have "
        "at most 400",
        id="var",
    ),
    pytest.param(
        f"expect: {{values: {{0: {HUGE}}}}}\n",
        "expect: the integer has 5,000 digits; integers in a config have at most 400",
        id="expect",
    ),
]


@pytest.mark.parametrize("text, message", HUGE_INTEGER_CASES)
def test_huge_integers_rejected(write_config, text, message):
    path = write_config("schedule: '0.1'\n" + text)

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert caught.value.message == message
    assert caught.value.line == 2


def test_huge_integer_variable_argument():
    from lrdsl._config import parse_variable

    with pytest.raises(ValueError) as caught:
        parse_variable(f"a={HUGE}")

    assert str(caught.value) == (
        "variable 'a': the integer has 5,000 digits; integers in a config have "
        "at most 400"
    )


EQUAL_KEY_CASES = [
    pytest.param(
        "{5: 0.5, 5.0: 0.9}",
        "duplicate key '5.0': it equals the key '5' on line 3",
        20,
        "remove one of the two keys",
        id="int-and-float",
    ),
    pytest.param(
        "{1: 0.5, true: 0.9}",
        "duplicate key 'true': it equals the key '1' on line 3",
        20,
        "YAML reads a bool and an integer as different keys, but a Python "
        "dict holds True and 1 as one key, so remove one of the two keys",
        id="int-and-bool",
    ),
]


@pytest.mark.parametrize("values, message, column, hint", EQUAL_KEY_CASES)
def test_keys_equal_in_value_rejected(write_config, values, message, column, hint):
    path = write_config(f"schedule: '0.1'\nexpect:\n  values: {values}\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    error = caught.value
    assert error.message == message
    assert (error.line, error.column) == (3, column)
    assert error.hint == hint


def test_hexadecimal_duplicate_key_rejected(write_config):
    path = write_config("schedule: '0.1'\nexpect:\n  values: {16: 1.0, 0x10: 0.0}\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert (caught.value.line, caught.value.column) == (3, 21)


@pytest.mark.parametrize(
    "value, message",
    [
        ("!!bool '1'", "variable 'a': '1' is not a valid bool"),
        ("2024-02-30", "variable 'a': '2024-02-30' is not a valid timestamp"),
        ("!!float x", "variable 'a': 'x' is not a valid float"),
    ],
)
def test_values_not_fitting_tag(write_config, value, message):
    path = write_config(f"schedule: '0.1'\nvars:\n  a: {value}\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert caught.value.message == message
    assert caught.value.line == 3


@pytest.mark.parametrize("path", [None, 0, b"config.yaml", ["config.yaml"]])
def test_load_rejects_non_path(path):
    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert caught.value.message.startswith("expected a path (str or os.PathLike), got ")


def test_load_rejects_nul_in_path():
    with pytest.raises(ConfigError) as caught:
        lrdsl.load("config\0.yaml")

    assert caught.value.message == (
        "invalid path 'config\\x00.yaml': it contains a NUL character"
    )


def test_load_key_rejects_non_string_key(write_config):
    from lrdsl._config import load_key

    path = write_config("schedule: '0.1'\n")

    with pytest.raises(ConfigError) as caught:
        load_key(path, None)

    assert caught.value.message == (
        "the key path must be a string such as 'optimizer.lr', got None"
    )


def test_unhashable_schedule_name(write_config):
    config = lrdsl.load(write_config("schedule: '0.1'\n"))

    with pytest.raises(ConfigError) as caught:
        config[[1]]

    assert caught.value.message == ("no schedule named [1]; the config has 'schedule'")


def test_load_variables_must_be_mapping(write_config):
    path = write_config("schedule: '0.1'\n")

    with pytest.raises(LrdslError) as caught:
        lrdsl.load(path, variables=5)

    assert "variables must be a mapping" in caught.value.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_not_read(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    assert str(caught.value) == (
        f"{path}: is not a regular file (it is a FIFO, a device or a socket), "
        "so it cannot be read as a config file"
    )


def test_flow_mapping_split_at_comma_hint(write_config):
    path = write_config("schedules: {a: warmup(5, 1)}\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path)

    error = caught.value
    assert error.message == (
        "schedule '1)' must be schedule text, got an empty value: the comma "
        "before it ended the schedule 'a'"
    )
    assert (error.line, error.column) == (1, 26)
    assert error.hint == (
        "a comma ends an unquoted value inside {...}, so quote the schedule "
        'text: {a: "warmup(5, 1)"}'
    )


def test_schedule_errors_are_not_config_errors(write_config):
    path = write_config("schedule: warmup(-5, 0.1)\n")

    with pytest.raises(LrdslError) as caught:
        lrdsl.load(path)

    assert not isinstance(caught.value, ConfigError)
    assert caught.value.line == 1


# Variables given on the command line.


@pytest.mark.parametrize(
    "assignment, expected",
    [
        ("peak=0.1", ("peak", 0.1)),
        ("low=1e-3", ("low", 0.001)),
        ("n=5", ("n", 5)),
        ("mode=triangular", ("mode", "triangular")),
        ("on=true", ("on", True)),
        ("ms=[30, 60]", ("ms", [30, 60])),
        (" peak = 0.5", ("peak", 0.5)),
    ],
)
def test_parse_variable(assignment, expected):
    from lrdsl._config import parse_variable

    assert parse_variable(assignment) == expected


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("peak", "expected NAME=VALUE, got 'peak'"),
        ("peak=[1", "invalid value '[1' for variable 'peak'"),
        ("peak={a: 1}", "variable 'peak' = {'a': 1} is invalid"),
        ("1x=2", "invalid variable name '1x'"),
        ("peak=", "variable 'peak' = None is invalid"),
    ],
)
def test_parse_variable_rejects(assignment, message):
    from lrdsl._config import parse_variable

    with pytest.raises(ValueError) as caught:
        parse_variable(assignment)

    assert message in str(caught.value)


def test_overridden_step_count_still_checked(write_config):
    path = write_config("steps_per_epoch: '10'\nschedule: warmup(1ep, 1)\n")

    with pytest.raises(ConfigError) as caught:
        lrdsl.load(path, steps_per_epoch=4)

    assert caught.value.message.startswith("steps_per_epoch must be a whole number")


# load_key: schedule text inside a larger training config.

TRAINING_CONFIG = """\
model: {depth: 50}
optimizer:
  name: sgd
  lr_schedule: |
    warmup(5ep, peak)
    >> cosine(peak, 85ep)
stages:
  - {lr: '0.1'}
  - {lr: 'warmup(2, 0.2)'}
"""


def test_load_key_compiles_nested_text(write_config):
    from lrdsl._config import load_key

    path = write_config(TRAINING_CONFIG)

    config = load_key(
        path, "optimizer.lr_schedule", steps_per_epoch=10, variables={"peak": 0.1}
    )

    assert list(config.schedules) == ["optimizer.lr_schedule"]
    assert config.schedule.duration == 900
    assert config.schedule(50) == 0.1
    assert config.steps_per_epoch == 10


def test_load_key_indexes_lists(write_config):
    from lrdsl._config import load_key

    config = load_key(write_config(TRAINING_CONFIG), "stages.1.lr")

    assert config.schedule(1) == 0.1


def test_load_key_ignores_other_keys(write_config):
    from lrdsl._config import load_key

    # `model` is not an lrdsl key, and the file has no schedule: key.
    config = load_key(write_config(TRAINING_CONFIG), "stages.0.lr")

    assert config.schedule(0) == 0.1


def test_load_key_error_position(write_config):
    from lrdsl._config import load_key

    path = write_config(TRAINING_CONFIG)

    with pytest.raises(LrdslError) as caught:
        load_key(path, "optimizer.lr_schedule", variables={"peak": 0.1})

    assert (caught.value.line, caught.value.column) == (5, 12)
    assert caught.value.message == "5ep needs steps_per_epoch, which was not given"


@pytest.mark.parametrize(
    "key, message, position, hint",
    [
        pytest.param(
            "optimizer.lr_shedule",
            "key path: optimizer has no key 'lr_shedule'",
            (2, 1),
            "did you mean 'lr_schedule'?",
            id="missing-key",
        ),
        pytest.param(
            "optimiser",
            "key path: the root has no key 'optimiser'",
            None,
            "did you mean 'optimizer'?",
            id="missing-first-key",
        ),
        pytest.param(
            "optimizer.name.kind",
            "key path: optimizer.name is the string 'sgd', so it has no key 'kind'",
            (3, 9),
            None,
            id="scalar-parent",
        ),
        pytest.param(
            "stages.5.lr",
            "key path: index 5 is out of range, stages is a list of 2 items",
            (7, 1),
            None,
            id="index-out-of-range",
        ),
        pytest.param(
            "optimizer",
            "optimizer must be schedule text, got a mapping",
            (2, 1),
            "point the key path at the schedule string itself",
            id="mapping-value",
        ),
    ],
)
def test_load_key_errors(write_config, key, message, position, hint):
    from lrdsl._config import load_key

    path = write_config(TRAINING_CONFIG)

    with pytest.raises(ConfigError) as caught:
        load_key(path, key)

    assert caught.value.message == message
    if position is None:
        assert caught.value.line is None
    else:
        assert (caught.value.line, caught.value.column) == position
    assert caught.value.hint == hint
    assert caught.value.filename == str(path)


def test_load_keeps_expect_node_positions(write_config):
    path = write_config("schedule: '0.1'\nexpect:\n  max: 0.1\n")

    config = lrdsl.load(path)

    node = config._origin.expect_node
    assert (node.start_mark.line + 1, node.start_mark.column + 1) == (3, 3)
    assert config._origin.named is False
