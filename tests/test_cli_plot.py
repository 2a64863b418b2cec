"""The plot command: text plots by default, PNG files with -o."""

import pytest


def test_plot_text_default_range(run_cli):
    result = run_cli("plot", "warmup(10, 0.1) >> cosine(0.1, 90)", "--width", "40")

    assert result.status == 0
    lines = result.out.splitlines()
    assert lines[0] == "lr"
    assert len(lines) >= 1 + 16 + 2
    assert lines[18].split() == ["0", "49", "99", "step"]
    assert "^ a segment starts" in result.out


def test_plot_config_overlays_schedules(run_cli, write_config):
    path = write_config(
        """
        total_steps: 50
        schedules:
          backbone: "0.01"
          head: "linear(0.1, 0.0, 50)"
        """
    )
    result = run_cli("plot", str(path), "--height", "10")

    assert result.status == 0
    assert "* backbone" in result.out
    assert "o head" in result.out
    assert result.out.splitlines()[12].split() == ["0", "24", "49", "step"]


def test_plot_range(run_cli):
    # 20 columns over 10 steps draw one column per step.
    result = run_cli("plot", "warmup(100, 1.0)", "--range", "50:60", "--width", "20")

    assert result.status == 0
    assert result.out.splitlines()[18].split() == ["50", "54", "59", "step"]


def test_plot_png(run_cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "lr.png"
    result = run_cli("plot", "warmup(10, 0.1) >> 0.1", "-o", str(path))

    assert result.status == 0
    assert result.out == f"wrote {path}\n"
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["1", "--range", "5:5"], "contains no steps"),
        (["1", "--range", "0:10:2"], "expected START:STOP (plot takes no STEP)"),
        (["1", "--name", "x"], "--name selects a schedule of a config file"),
    ],
)
def test_plot_usage_errors(run_cli, arguments, fragment):
    result = run_cli("plot", *arguments)

    assert result.status == 2
    assert fragment in result.err


def test_plot_invalid_schedule(run_cli):
    result = run_cli("plot", "warmp(1, 1)")

    assert result.status == 1
    assert result.err.startswith("error: 1:1: unknown schedule 'warmp'")


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--height", "9"], "invalid height 9: expected 10 <= height <= 200"),
        (["--height", "201"], "invalid height 201: expected 10 <= height <= 200"),
        (["--width", "19"], "invalid width 19: expected 20 <= width <= 500"),
        (["--width", "٥٠"], "invalid width '٥٠': expected a whole number"),
        (["--range", "0:10:1"], "expected START:STOP (plot takes no STEP)"),
    ],
)
def test_plot_size_and_range_arguments(run_cli, arguments, fragment):
    result = run_cli("plot", "1", *arguments)

    assert result.status == 2
    assert fragment in result.err


def test_plot_smallest_size(run_cli):
    result = run_cli("plot", "warmup(100, 1.0)", "--width", "20", "--height", "10")

    lines = result.out.splitlines()
    assert result.status == 0
    # The "lr" title, 10 rows of 20 columns, the step axis and its labels.
    assert len(lines) == 13
    assert lines[1] == " 0.99 |                  **"
    assert lines[10] == "    0 |**                  "


def test_plot_range_longer_than_eval_limit(run_cli):
    # plot samples long ranges, so eval's row limit does not apply.
    result = run_cli("plot", "warmup(1000, 0.1) >> 0.1", "--range", f"0:{2**62}")

    assert result.status == 0
    assert result.out.splitlines()[18].split()[-2:] == [str(2**62 - 1), "step"]
