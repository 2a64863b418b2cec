"""Value-based warnings: negative rates and jumps between segments."""

import pytest

import lrdsl
from lrdsl._analysis import analyze, horizon_of


def messages(text, horizon=None, **kwargs):
    schedule = lrdsl.compile(text, **kwargs)
    return [warning.message for warning in analyze(schedule, horizon)]


def test_negative_rate_names_first_step():
    found = messages("linear(0.1, -0.01, 110)")
    assert found == ["the learning rate goes negative: -0.001 at step 101"]


def test_negative_rate_beyond_horizon_ignored():
    assert messages("linear(0.1, -0.01, 110) >> 0", horizon=100) == []


def test_jump_between_segments():
    schedule = lrdsl.compile("warmup(500, 0.1) >> 0.001 for 10 >> 0.1")
    found = analyze(schedule)
    assert [warning.column for warning in found] == [21, 37]
    assert "jumps 99.8x, from 0.0998 to 0.001, at step 500" in found[0].message
    assert "jumps 100x, from 0.001 to 0.1, at step 510" in found[1].message


@pytest.mark.parametrize(
    "text",
    [
        "warmup(5, 0.1) >> cosine(0.1, 85)",
        "0.1 for 30 >> 0.01 for 30 >> 0.001",
        "warmup(0, 9) >> 0.1 for 3 >> 0.05",
        "warmup(1, 0.1) >> 1.0",
        "global(1 for 3 >> 1000)",
    ],
)
def test_smooth_or_tenfold_schedules_pass(text):
    assert messages(text) == []


def test_nested_chain_boundaries_are_global():
    found = messages("1 for 10 >> (1 for 5 >> 100 for 5) >> 100")
    assert len(found) == 1
    assert "at step 15" in found[0]


def test_horizon_defaults():
    assert horizon_of(lrdsl.compile("warmup(7, 1)"), None) == 7
    assert horizon_of(lrdsl.compile("warmup(7, 1)"), 100) == 100
    assert horizon_of(lrdsl.compile("1 for 40 >> 2"), None) == 40 + 100_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("constant(0.1) / warmup(10, 1)", "the learning rate is inf at step 0"),
        ("exponential(1, 1e300)", "the learning rate is inf at step 2"),
    ],
)
def test_non_finite_rate_warns(text, expected):
    assert messages(text, horizon=100) == [expected]


def test_non_finite_and_negative_both_reported():
    found = messages("linear(1, -1, 10) / warmup(5, 1)", horizon=100)
    assert found == [
        "the learning rate is inf at step 0",
        "the learning rate goes negative: -0.2 at step 6",
    ]


def test_jump_inside_lars_chain_found():
    found = messages("lars(0.1 for 10 >> 0.001)", horizon=20)
    assert found == [
        "the learning rate jumps 100x, from 0.1 to 0.001, at step 10 "
        "where this segment starts"
    ]


def test_jump_factor_not_rounded_to_ten():
    found = messages("warmup(500, 0.01) >> 0.1", horizon=1000)
    assert "jumps 10.02x" in found[0]


def test_segments_inside_for_and_lars_listed():
    from lrdsl._explain import segments

    schedule = lrdsl.compile("lars((1 for 3 >> 2 for 4 >> 7) for 5) >> 3")
    rows = [(s.start, s.end, s.text, s.depth) for s in segments(schedule)]
    assert rows[1:] == [
        (0, 5, "lars((1 for 3 >> 2 for 4 >> 7) for 5)", 1),
        (0, 3, "1 for 3", 2),
        (3, 5, "2 for 4", 2),
        (5, float("inf"), "3", 1),
    ]
