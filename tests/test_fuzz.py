"""Fuzzing: no input escapes as anything but LrdslError, and ASTs print back."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrdsl
from lrdsl._syntax import parse

TOKENS = [
    "warmup",
    "cosine",
    "piecewise",
    "noam_decay",
    "lars",
    "global",
    "min",
    "max",
    "clip",
    "for",
    "x",
    "peak",
    "true",
    "false",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    ">>",
    ">",
    "+",
    "-",
    "*",
    "/",
    "0",
    "1",
    "500",
    "0.1",
    "1e-3",
    "1e999",
    "5ep",
    "10%",
    "5epochs",
    '"cos"',
    "'",
    '"',
    "#",
    "\n",
    ".",
    " ",
    "\x00",
    "nan",
    "inf",
]

FUZZ_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _compile_or_error(text):
    try:
        schedule = lrdsl.compile(
            text, steps_per_epoch=10, total_steps=100, variables={"peak": 0.1}
        )
    except lrdsl.LrdslError as error:
        assert str(error)
        return None
    return schedule


@FUZZ_SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup_raises_only_lrdsl_errors(tokens):
    schedule = _compile_or_error(" ".join(tokens))
    if schedule is not None:
        values = schedule(np.arange(5))
        assert values.shape == (5,)


@FUZZ_SETTINGS
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_lrdsl_errors(text):
    _compile_or_error(text)


# Random valid schedules, built as text from a small grammar of safe parts.

numbers = st.sampled_from(["0", "1", "0.5", "2", "1e-3", ".25", "3."])
step_counts = st.sampled_from(["0", "1", "3", "10", "2ep", "5%"])


def _leaf():
    return st.one_of(
        numbers,
        st.just("peak"),
        st.builds("warmup({}, {})".format, step_counts, numbers),
        st.builds("warmup({}, {}, start={})".format, step_counts, numbers, numbers),
        st.builds("constant({})".format, numbers),
    )


def _extend(children):
    return st.one_of(
        st.builds("({} + {})".format, children, children),
        st.builds("({} - {})".format, children, children),
        st.builds("({} * {})".format, children, children),
        st.builds("(-{})".format, children),
        st.builds("min({}, {})".format, children, children),
        st.builds("max({}, {})".format, children, children),
        st.builds("clip({}, {}, {})".format, children, numbers, numbers),
        st.builds("global({})".format, children),
        st.builds("({} for {})".format, children, step_counts),
        st.builds("(({} for {}) >> {})".format, children, step_counts, children),
    )


valid_texts = st.recursive(_leaf(), _extend, max_leaves=12)


@FUZZ_SETTINGS
@given(valid_texts)
def test_valid_schedules_print_back_to_same_values(text):
    tree = parse(text)
    printed = str(tree)
    assert parse(printed) == tree
    context = {"steps_per_epoch": 10, "total_steps": 100, "variables": {"peak": 0.1}}
    original = lrdsl.compile(text, **context)
    reprinted = lrdsl.compile(printed, **context)
    steps = np.arange(40)
    first, second = original(steps), reprinted(steps)
    assert np.array_equal(first, second, equal_nan=True)


@FUZZ_SETTINGS
@given(valid_texts, st.lists(st.integers(0, 200), min_size=1, max_size=20))
def test_scalar_path_matches_vector_path(text, steps):
    schedule = lrdsl.compile(
        text, steps_per_epoch=10, total_steps=100, variables={"peak": 0.1}
    )
    vector = schedule(np.array(steps))
    for index, step in enumerate(steps):
        scalar = schedule(step)
        if math.isnan(scalar):
            assert math.isnan(vector[index])
        else:
            assert scalar == vector[index]
