"""Warnings for legal but suspicious schedules, with positions."""

import warnings

import pytest

import lrdsl


def compile_warnings(text, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schedule = lrdsl.compile(text, **kwargs)
    return schedule, [warning.message for warning in caught]


@pytest.mark.parametrize(
    ("text", "kwargs", "fragment", "column"),
    [
        ("piecewise_decay([6, 3], [1, 2, 3])", {}, "not sorted in increasing", 17),
        ("piecewise_decay([3, 3], [1, 2, 3])", {}, "not sorted in increasing", 17),
        ("piecewise_decay([0, 3], [1, 2, 3])", {}, "values[0] is never used", 17),
        (
            "cosine_decay(0.1, 10, 3)",
            {"total_steps": 31},
            "rises again instead of staying at 0",
            23,
        ),
        (
            "linear_lr_warmup(noam_decay(512, 4000), 100, 0, 1e-3)",
            {},
            "noam_decay's counter, which starts at 1",
            18,
        ),
    ],
)
def test_suspicious_arguments_warn(text, kwargs, fragment, column):
    schedule, caught = compile_warnings(text, **kwargs)
    assert len(caught) == 1
    warning = caught[0]
    assert isinstance(warning, lrdsl.LrdslWarning)
    assert fragment in warning.message
    assert warning.column == column
    assert schedule.warnings == [warning]


@pytest.mark.parametrize(
    ("text", "kwargs"),
    [
        ("piecewise_decay([3, 6], [1, 2, 3])", {}),
        ("cosine_decay(0.1, 10, 3)", {"total_steps": 30}),
        ("cosine_decay(0.1, 10, 3)", {}),
        ("linear_lr_warmup(exponential_decay(1.0, 2, 0.5), 3, 0, 1)", {}),
    ],
)
def test_ordinary_arguments_do_not_warn(text, kwargs):
    schedule, caught = compile_warnings(text, **kwargs)
    assert caught == []
    assert schedule.warnings == []


def test_warning_renders_caret():
    _, caught = compile_warnings("piecewise_decay([6, 3], [1, 2, 3])")
    lines = str(caught[0]).splitlines()
    assert lines[1] == "  piecewise_decay([6, 3], [1, 2, 3])"
    assert lines[2] == "                  ^^^^^^"


def test_warning_values_still_follow_paddle():
    schedule, _ = compile_warnings("piecewise_decay([6, 3], [1, 2, 3])")
    # Paddle's rule: the first boundary in list order that the step is below.
    assert [schedule(s) for s in (0, 3, 5, 6, 9)] == [1.0, 1.0, 1.0, 3.0, 3.0]


@pytest.mark.parametrize("name", ["nan", "inf", "Infinity"])
def test_non_finite_names_rejected(name):
    with pytest.raises(lrdsl.ArgumentError) as info:
        lrdsl.compile(f"warmup(1, {name})")
    assert "is not a number in lrdsl" in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("clip(warmup(10, 1.0), 1, 0)", "lo > hi, so the result is hi"),
        ("lars(0.1, coeff=-1)", "coeff < 0 makes every scaled learning rate"),
        ("lars(0.1, weight_decay=-1)", "weight_decay < 0 turns the scaling off"),
    ],
)
def test_suspicious_combinator_arguments_warn(text, fragment):
    _, caught = compile_warnings(text)
    assert [fragment in warning.message for warning in caught] == [True]
