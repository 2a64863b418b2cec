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
    result = run_cli("plot", "warmup(100, 1.0)", "--range", "50:60", "--width", "10")

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
        (["1", "--range", "0:10:2"], "without a STEP"),
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
