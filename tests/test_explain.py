"""Tests for ``lrdsl explain``: canonical text, duration, segments, warnings."""

from __future__ import annotations

import lrdsl
from lrdsl._explain import segments

THREE_SEGMENTS = "warmup(500, 0.01) >> constant(0.1) for 1000 >> cosine(0.1, 2000)"


def test_three_segments_exact(run_cli):
    result = run_cli("explain", THREE_SEGMENTS)

    assert result.out == (
        "schedule: warmup(500, 0.01) >> constant(0.1) for 1000 >> "
        "cosine(0.1, 2000)\n"
        "duration: 3500 steps\n"
        "\n"
        "start   end  duration  first        last  segment\n"
        "    0  3500      3500      0  6.1685e-08  warmup(500, 0.01) >> "
        "constant(0.1) for 1000 >> cosine(0.1, 2000)\n"
        "    0   500       500      0     0.00998    warmup(500, 0.01)\n"
        "  500  1500      1000    0.1         0.1    constant(0.1) for 1000\n"
        " 1500  3500      2000    0.1  6.1685e-08    cosine(0.1, 2000)\n"
    )
    assert result.err == ""
    assert result.status == 0


def test_prints_canonical_text(run_cli):
    result = run_cli("explain", "warmup( 5 ,.5)>>0.5  # comment")

    assert result.out.split("\n")[0] == "schedule: warmup(5, .5) >> 0.5"
    assert result.out.split("\n")[1] == "duration: inf"


def test_units_and_variables(run_cli):
    result = run_cli(
        "explain",
        "warmup(2ep, peak) >> cosine(peak, 50%)",
        "--steps-per-epoch",
        "10",
        "--total-steps",
        "100",
        "--var",
        "peak=0.5",
    )

    lines = result.out.split("\n")
    assert lines[1] == "duration: 70 steps"
    assert lines[5].split()[:5] == ["0", "20", "20", "0", "0.475"]
    assert lines[6].split()[:5] == ["20", "70", "50", "0.5", "0.000493318"]


def test_config_with_several_schedules(run_cli, write_config):
    path = write_config(
        "schedules:\n  backbone: warmup(4, 1.0)\n  head: constant(0.5)\n"
    )

    result = run_cli("explain", str(path))

    assert result.out == (
        "backbone: warmup(4, 1.0)\n"
        "duration: 4 steps\n"
        "\n"
        "start  end  duration  first  last  segment\n"
        "    0    4         4      0  0.75  warmup(4, 1.0)\n"
        "\n"
        "head: constant(0.5)\n"
        "duration: inf\n"
        "\n"
        "start  end  duration  first  last  segment\n"
        "    0  inf       inf    0.5     -  constant(0.5)\n"
    )


def test_name_selects_schedule(run_cli, write_config):
    path = write_config("schedules: {a: 'warmup(4, 1.0)', b: constant(0.5)}\n")

    result = run_cli("explain", str(path), "--name", "b")

    assert result.out.startswith("b: constant(0.5)\nduration: inf\n")
    assert "warmup" not in result.out


def test_unknown_name_is_usage_error(run_cli, write_config):
    path = write_config("schedules: {head: '0.1', backbone: '0.2'}\n")

    result = run_cli("explain", str(path), "--name", "haed")

    assert result.status == 2
    assert "argument --name: 'haed' is not in" in result.err
    assert "did you mean 'head'?" in result.err


def test_name_without_config_is_usage_error(run_cli):
    result = run_cli("explain", "0.1", "--name", "a")

    assert result.status == 2
    assert "--name selects a schedule of a config file" in result.err


def test_compile_warnings_listed(run_cli, write_config):
    path = write_config("schedule: piecewise_decay([30, 10], [1, 2, 3])\n")

    result = run_cli("explain", str(path))

    lines = result.out.split("\n")
    assert lines[5] == (
        f"{path}:1:27: warning: piecewise_decay: boundaries are not sorted in "
        "increasing order; Paddle returns values[i] for the first i, in list "
        "order, with step < boundaries[i], and so does lrdsl"
    )
    assert lines[6:8] == [
        "  schedule: piecewise_decay([30, 10], [1, 2, 3])",
        "                            ^^^^^^^^",
    ]
    assert result.err == ""
    assert result.status == 0


def test_warning_of_text_has_no_file(run_cli):
    result = run_cli("explain", "piecewise_decay([30, 10], [1, 2, 3])")

    assert "\n1:17: warning: piecewise_decay: boundaries are not sorted" in result.out


def test_lrdsl_file(run_cli, tmp_path):
    path = tmp_path / "short.lrdsl"
    path.write_text("# two parts\nwarmup(2, 0.1)\n>> 0.1\n")

    result = run_cli("explain", str(path))

    assert result.out.startswith("schedule: warmup(2, 0.1) >> 0.1\nduration: inf\n")


def test_key_in_training_config(run_cli, write_config):
    path = write_config("optimizer:\n  lr: warmup(4, 0.1)\n", name="train.yaml")

    result = run_cli("explain", str(path), "--key", "optimizer.lr")

    assert result.out.startswith("optimizer.lr: warmup(4, 0.1)\nduration: 4 steps\n")


def test_key_needs_yaml_file(run_cli):
    result = run_cli("explain", "0.1", "--key", "a.b")

    assert result.status == 2
    assert "--key reads a .yaml or .yml file" in result.err


def test_error_rendering(run_cli):
    result = run_cli("explain", "warmup(5, 0.1) >> cosin(0.1, 10)")

    assert result.status == 1
    assert result.out == ""
    assert result.err == (
        "error: 1:19: unknown schedule 'cosin'\n"
        "  warmup(5, 0.1) >> cosin(0.1, 10)\n"
        "                    ^^^^^\n"
        "hint: did you mean 'cosine'?\n"
    )


def test_explain_drops_comments_from_segment_text():
    schedule = lrdsl.compile('warmup(4, 1.0)  # ramp "#"\n>> cosine(1.0, 8)  # decay')
    texts = [segment.text for segment in segments(schedule)]
    assert texts == [
        "warmup(4, 1.0) >> cosine(1.0, 8)",
        "warmup(4, 1.0)",
        "cosine(1.0, 8)",
    ]
