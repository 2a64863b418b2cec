"""Text and PNG plots."""

import pytest

import lrdsl
from lrdsl._plot import png_plot, text_plot


def test_text_plot_axes_and_rows():
    f = lrdsl.compile("warmup(10, 0.1) >> cosine(0.1, 90)")
    lines = text_plot({"schedule": f}, 0, 100, width=50, height=12).splitlines()
    assert lines[0] == "lr"
    rows = lines[1:13]
    assert len(rows) == 12
    assert rows[0].split("|")[0].strip() == "0.1"
    assert rows[6].split("|")[0].strip() == "0.05"
    assert rows[-1].split("|")[0].strip() == "0"
    assert lines[14].split() == ["0", "49", "99", "step"]
    assert lines[15].strip() == "^ a segment starts"


def test_text_plot_marks_boundary_column():
    f = lrdsl.compile("0.1 for 50 >> 0.01")
    lines = text_plot({"schedule": f}, 0, 100, width=100, height=10).splitlines()
    axis = lines[11]
    assert axis.index("^") - axis.index("+") - 1 == 50


def test_text_plot_draws_drop_inside_column_as_stroke():
    f = lrdsl.compile("1 for 3 >> 0")
    rows = text_plot({"s": f}, 0, 10, width=2, height=10).splitlines()[1:11]
    first_column = [row.split("|")[1][0] for row in rows]
    assert first_column == ["*"] * 10


def test_text_plot_overlays_with_legend():
    plot = text_plot(
        {"backbone": lrdsl.compile("0.01"), "head": lrdsl.compile("0.1")}, 0, 10
    )
    assert "* backbone" in plot
    assert "o head" in plot
    assert "o" in plot.splitlines()[1]


def test_text_plot_minimum_height():
    plot = text_plot({"s": lrdsl.compile("warmup(5, 1)")}, 0, 5, height=3)
    assert len(plot.splitlines()) >= 10 + 3


def test_text_plot_empty_range():
    with pytest.raises(lrdsl.LrdslError, match="empty step range"):
        text_plot({"s": lrdsl.compile("1")}, 5, 5)


def test_png_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "lr.png"
    png_plot({"s": lrdsl.compile("warmup(5, 1) >> cosine(1, 20)")}, 0, 25, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_plot_unwritable_path(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "missing" / "lr.png"
    with pytest.raises(lrdsl.LrdslError, match="cannot write"):
        png_plot({"s": lrdsl.compile("1")}, 0, 5, str(target))


@pytest.mark.parametrize(
    "text",
    ["constant(-1e308) for 5 >> constant(1e308)", "constant(1e308) for 5 >> -1e308"],
)
def test_plot_range_beyond_float_rejected(text):
    with pytest.raises(lrdsl.LrdslError, match="beyond the float64 range"):
        text_plot({"s": lrdsl.compile(text)}, 0, 10)


@pytest.mark.parametrize("value", ["1.7976931348623157e308", "-1.7e308", "0"])
def test_plot_constant_near_float_limits(value):
    plot = text_plot({"s": lrdsl.compile(f"constant({value})")}, 0, 10, height=10)
    rows = plot.splitlines()[1:11]
    drawn = [row for row in rows if "*" in row]
    assert len(drawn) == 1
    assert "inf" not in plot


def test_plot_labels_finite_near_float_max():
    f = lrdsl.compile("constant(1.7e308) for 5 >> constant(1e308)")
    plot = text_plot({"s": f}, 0, 10, height=10)
    assert "inf" not in plot
    assert plot.splitlines()[1].split("|")[1].startswith("*****")
