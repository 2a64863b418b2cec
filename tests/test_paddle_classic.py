"""Paddle's classic schedules: golden values from Paddle, closed forms, errors."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import lrdsl
from lrdsl._registry import REGISTRY

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "paddle_vectors.json").read_text()
)

# Paddle computes these records in float32.
RTOL = 1e-6
ATOL = 1e-7


def dsl_literal(value):
    """Write a reference-file parameter as DSL text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(dsl_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        params = {key: item for key, item in value.items() if key != "fn"}
        return dsl_call(value["fn"], params)
    return repr(value)


def dsl_call(api, params):
    arguments = ", ".join(
        f"{key}={dsl_literal(value)}" for key, value in params.items()
    )
    return f"{api}({arguments})"


LEGACY = [
    record for record in VECTORS["vectors"] if record["source"] == "legacy_static"
]


def tolerance(record, steps):
    """Return the allowed absolute difference from Paddle at each step."""
    values = np.asarray(record["values"])
    return RTOL * np.abs(values) + ATOL


@pytest.mark.parametrize(
    "record", LEGACY, ids=[dsl_call(r["api"], r["params"]) for r in LEGACY]
)
def test_matches_paddle_static_graph(record):
    f = lrdsl.compile(dsl_call(record["api"], record["params"]))
    steps = np.asarray(record["steps"])
    expected = np.asarray(record["values"])
    allowed = tolerance(record, steps)

    vector = f(steps)
    assert vector.dtype == np.float64
    assert vector.shape == expected.shape
    bad = np.flatnonzero(np.abs(vector - expected) > allowed)
    assert bad.size == 0, f"steps {steps[bad]}: {vector[bad]} != {expected[bad]}"

    for step, value, limit in zip(steps.tolist(), expected, allowed, strict=True):
        scalar = f(step)
        assert isinstance(scalar, float)
        assert abs(scalar - value) <= limit, f"step {step}: {scalar} != {value}"


def test_reference_covers_eight_schedules():
    assert {record["api"] for record in LEGACY} == {
        "noam_decay",
        "exponential_decay",
        "natural_exp_decay",
        "inverse_time_decay",
        "polynomial_decay",
        "piecewise_decay",
        "cosine_decay",
        "linear_lr_warmup",
    }


# Signatures: Paddle's names, defaults and positional order.


@pytest.mark.parametrize(
    "signature",
    [
        "noam_decay(d_model, warmup_steps, learning_rate=1.0)",
        "exponential_decay(learning_rate, decay_steps, decay_rate, staircase=false)",
        "natural_exp_decay(learning_rate, decay_steps, decay_rate, staircase=false)",
        "inverse_time_decay(learning_rate, decay_steps, decay_rate, staircase=false)",
        "polynomial_decay(learning_rate, decay_steps, end_learning_rate=0.0001, "
        "power=1.0, cycle=false)",
        "piecewise_decay(boundaries, values)",
        "cosine_decay(learning_rate, step_each_epoch, epochs)",
        "linear_lr_warmup(learning_rate, warmup_steps, start_lr, end_lr)",
    ],
)
def test_signature_is_paddles(signature):
    name = signature.split("(")[0]
    spec = REGISTRY[name]
    assert spec.family == "paddle"
    assert spec.signature() == signature


def test_positional_equals_keyword():
    positional = lrdsl.compile("polynomial_decay(0.1, 10, 0.001, 2.0, true)")
    keyword = lrdsl.compile(
        "polynomial_decay(cycle=true, power=2.0, end_learning_rate=0.001, "
        "decay_steps=10, learning_rate=0.1)"
    )
    steps = np.arange(40)
    np.testing.assert_array_equal(positional(steps), keyword(steps))


PADDLE_TEXTS = [
    "noam_decay(512, 4000)",
    "noam_decay(0.01, 5, 2.0)",
    "exponential_decay(0.1, 3, 0.9)",
    "exponential_decay(0.1, 3, 0.9, true)",
    "exponential_decay(1.0, 1, -0.5, staircase=true)",
    "natural_exp_decay(0.1, 7, 0.5)",
    "natural_exp_decay(0.1, 7, 0.5, true)",
    "inverse_time_decay(0.1, 7, 0.5)",
    "inverse_time_decay(0.1, 7, 0.5, true)",
    "polynomial_decay(0.1, 10)",
    "polynomial_decay(0.1, 10, 0.001, 2.0, true)",
    "polynomial_decay(0.1, 10, 0.0, 0.5, false)",
    "piecewise_decay([3, 6, 9], [0.1, 0.2, 0.3, 0.4])",
    "piecewise_decay([6, 0, 3, 3], [1.0, 2.0, 3.0, 4.0, 5.0])",
    "piecewise_decay([], [0.5])",
    "cosine_decay(0.1, 4, 3)",
    "linear_lr_warmup(0.1, 10, 0.0, 0.1)",
    "linear_lr_warmup(0.1, 0, 0.0, 0.1)",
    "linear_lr_warmup(noam_decay(64, 10), 5, 0.01, 0.02)",
]


@pytest.mark.parametrize("text", PADDLE_TEXTS)
def test_infinite_duration(text):
    assert lrdsl.compile(text).duration == math.inf


def test_linear_lr_warmup_duration_ignores_inner():
    f = lrdsl.compile("linear_lr_warmup(warmup(4, 1.0), 2, 0.0, 1.0)")
    assert f.duration == math.inf


@pytest.mark.parametrize("text", PADDLE_TEXTS)
def test_scalar_equals_vector(text):
    f = lrdsl.compile(text)
    steps = [*range(60), 999, 10**6, 2**40 + 3, 2**53 + 1, 2**62 - 1, 2**62]
    vector = f(np.asarray(steps))
    for step, value in zip(steps, vector, strict=True):
        scalar = f(step)
        assert isinstance(scalar, float)
        assert scalar == pytest.approx(value, rel=1e-12, abs=1e-15), step


# Closed forms and properties.


@pytest.mark.parametrize(
    ("d_model", "warmup_steps", "learning_rate"),
    [(512, 4000, 1.0), (64, 10, 2.0), (0.01, 5, 0.5), (1, 1, 1.0)],
)
def test_noam_peak_at_warmup(d_model, warmup_steps, learning_rate):
    f = lrdsl.compile(f"noam_decay({d_model}, {warmup_steps}, {learning_rate})")
    values = f(np.arange(3 * warmup_steps))
    peak = learning_rate * (d_model * warmup_steps) ** -0.5

    assert int(np.argmax(values)) == warmup_steps - 1
    assert values[warmup_steps - 1] == pytest.approx(peak, rel=1e-12)
    assert np.all(np.diff(values[:warmup_steps]) > 0)
    assert np.all(np.diff(values[warmup_steps - 1 :]) < 0)


def test_noam_counter_starts_at_one():
    f = lrdsl.compile("noam_decay(1, 4)")
    # t = s + 1, so step 0 reads t = 1: min(1, 1 * 4**-1.5) = 0.125.
    assert f(0) == 0.125
    assert f(3) == 0.5
    assert f(15) == 0.25


def test_cosine_decay_rises_past_epochs():
    # The angle is rounded to float32 as in Paddle, so values agree with the
    # float64 closed form only to about 1e-7.
    f = lrdsl.compile("cosine_decay(1.0, 10, 3)")
    per_epoch = f(np.arange(0, 100, 10))
    expected = [0.5 * (math.cos(e * math.pi / 3) + 1) for e in range(10)]

    np.testing.assert_allclose(per_epoch, expected, rtol=0, atol=1e-6)
    assert f(30) == pytest.approx(0.0, abs=1e-6)
    assert f(40) > f(30)
    assert f(50) > f(40)
    assert f(60) == pytest.approx(1.0, abs=1e-6)
    assert f(90) == pytest.approx(0.0, abs=1e-6)


def test_cosine_decay_constant_within_epoch():
    f = lrdsl.compile("cosine_decay(0.1, 4, 3)")
    values = f(np.arange(24)).reshape(6, 4)
    assert np.all(values == values[:, :1])


def test_polynomial_cycle_at_zero_and_multiples():
    f = lrdsl.compile("polynomial_decay(1.0, 4, 0.1, 2.0, cycle=true)")
    # ceil(0 / 4) is taken as 1, so step 0 is the start of the first period.
    assert f(0) == 1.0
    for k in range(1, 6):
        assert f(4 * k) == pytest.approx(0.1, rel=1e-12)
    # Step 4k + 1 starts period k + 1, of length 4 * (k + 1).
    for k in range(0, 5):
        step = 4 * k + 1
        length = 4 * (k + 1)
        expected = 0.9 * (1 - step / length) ** 2 + 0.1
        assert f(step) == pytest.approx(expected, rel=1e-12)


def test_polynomial_cycle_exact_at_huge_multiple():
    f = lrdsl.compile("polynomial_decay(1.0, 3, 0.0, cycle=true)")
    step = 3 * 2**60
    assert f(step) == 0.0
    assert f(np.asarray([step]))[0] == 0.0
    # Step 3 * 2**60 + 1 starts a period of 3 * 2**60 + 3 steps.
    assert f(step + 1) == pytest.approx(2 / (step + 3), rel=1e-12)


def test_polynomial_without_cycle_holds_end():
    f = lrdsl.compile("polynomial_decay(1.0, 5, 0.01, 3.0)")
    values = f(np.arange(5, 50))
    assert np.all(values == pytest.approx(0.01, rel=1e-12))
    assert f(0) == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Sorted: values[i] on [boundaries[i - 1], boundaries[i]).
        ("piecewise_decay([2, 4], [1, 2, 3])", [1, 1, 2, 2, 3, 3, 3]),
        # A boundary at 0: 0 < 0 is false, so values[0] is never used.
        ("piecewise_decay([0, 4], [9, 2, 3])", [2, 2, 2, 2, 3, 3, 3]),
        # Duplicates: values[1] sits between the two copies of 2 and is skipped.
        ("piecewise_decay([2, 2, 4], [1, 9, 2, 3])", [1, 1, 2, 2, 3, 3, 3]),
        # Unsorted: for s >= 5, s < 2 fails, so the match is s < 6, values[2].
        ("piecewise_decay([5, 2, 6], [1, 9, 2, 3])", [1, 1, 1, 1, 1, 2, 3]),
        # A smaller boundary after a larger one is never the first match.
        ("piecewise_decay([5, 2], [1, 9, 3])", [1, 1, 1, 1, 1, 3, 3]),
        ("piecewise_decay([], [7])", [7, 7, 7, 7, 7, 7, 7]),
    ],
)
def test_piecewise_decay_first_match(text, expected):
    f = lrdsl.compile(text)
    steps = np.arange(7)
    np.testing.assert_array_equal(f(steps), expected)
    assert [f(step) for step in range(7)] == expected


def test_piecewise_decay_huge_boundary():
    f = lrdsl.compile(f"piecewise_decay([{2**62}], [1.0, 2.0])")
    assert f(2**62 - 1) == 1.0
    assert f(2**62) == 2.0
    np.testing.assert_array_equal(f(np.asarray([2**62 - 1, 2**62])), [1.0, 2.0])


def test_linear_lr_warmup_reads_inner_at_same_step():
    f = lrdsl.compile("linear_lr_warmup(exponential_decay(1.0, 1, 0.5), 3, 0.0, 1.0)")
    # The ramp replaces the inner schedule's first 3 steps instead of delaying it.
    assert [f(step) for step in range(5)] == [0.0, 1 / 3, 2 / 3, 0.125, 0.0625]


def test_linear_lr_warmup_zero_steps_is_inner():
    f = lrdsl.compile("linear_lr_warmup(piecewise_decay([2], [0.5, 0.1]), 0, 0.0, 1.0)")
    assert [f(step) for step in range(4)] == [0.5, 0.5, 0.1, 0.1]
    np.testing.assert_array_equal(f(np.arange(4)), [0.5, 0.5, 0.1, 0.1])


def test_warmup_ramp_stops_before_end_lr():
    f = lrdsl.compile("linear_lr_warmup(0.5, 4, 0.0, 1.0)")
    assert f(np.arange(6)).tolist() == [0.0, 0.25, 0.5, 0.75, 0.5, 0.5]


def test_exponential_staircase_accepts_negative_rate():
    f = lrdsl.compile("exponential_decay(1.0, 1, -0.5, staircase=true)")
    assert [f(step) for step in range(3)] == [1.0, -0.5, 0.25]


def test_units_on_step_arguments():
    f = lrdsl.compile(
        "cosine_decay(0.1, 1ep, 3) + piecewise_decay([50%], [0.0, 1.0])",
        steps_per_epoch=10,
        total_steps=100,
    )
    assert f(0) == pytest.approx(0.1)
    assert f(49) == pytest.approx(0.1 * 0.5 * (math.cos(4 * math.pi / 3) + 1))
    assert f(50) == pytest.approx(1.0 + 0.1 * 0.5 * (math.cos(5 * math.pi / 3) + 1))


def test_arithmetic_and_sequencing():
    f = lrdsl.compile("warmup(2, 0.1) >> 0.5 * exponential_decay(0.2, 1, 0.5)")
    assert [f(step) for step in range(5)] == [0.0, 0.05, 0.1, 0.05, 0.025]


# Errors.


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("exponential_decay(0.1, 0, 0.5)", "0 < decay_steps"),
        ("natural_exp_decay(0.1, 0, 0.5)", "0 < decay_steps"),
        ("inverse_time_decay(0.1, 0, 0.5)", "0 < decay_steps"),
        ("polynomial_decay(0.1, 0)", "0 < decay_steps"),
        ("exponential_decay(0.1, 2.5, 0.5)", "whole number"),
        ("exponential_decay(0.1, 10, -0.5)", "0 <= decay_rate (or staircase=true)"),
        ("polynomial_decay(0.1, 10, power=-1.0)", "0 <= power"),
        ("noam_decay(0, 4000)", "0 < d_model"),
        ("noam_decay(-512, 4000)", "0 < d_model"),
        ("noam_decay(512, 0)", "0 < warmup_steps"),
        ("cosine_decay(0.1, 0, 3)", "0 < step_each_epoch"),
        ("cosine_decay(0.1, 10, 0)", "0 < epochs"),
        ("piecewise_decay([3, 6], [0.1, 0.2])", "len(values) == len(boundaries) + 1"),
        ("piecewise_decay([3], [0.1, 0.2, 0.3])", "len(values) == len(boundaries) + 1"),
        ("piecewise_decay([-1], [0.1, 0.2])", "0 <= steps"),
        ("piecewise_decay([1.5], [0.1, 0.2])", "whole number"),
        ("linear_lr_warmup(0.1, -1, 0.0, 0.1)", "0 <= steps"),
        ("noam_decay(512, 4000, 1e-3ep)", "takes no unit"),
        ("exponential_decay(0.1, 5ep, 0.5)", "needs steps_per_epoch"),
        ("exponential_decay(0.1, 10)", "missing 'decay_rate'"),
        ("exponential_decay(0.1, 10, 0.5, stair=true)", "no parameter 'stair'"),
        ("noam_decay(512, 4000) >> 0.1", "has no end"),
    ],
)
def test_rejects(text, fragment):
    with pytest.raises(lrdsl.LrdslError) as caught:
        lrdsl.compile(text)
    assert fragment in str(caught.value)


def test_rule_error_points_at_argument():
    with pytest.raises(lrdsl.ArgumentError) as caught:
        lrdsl.compile("exponential_decay(0.1, 0, 0.5)")
    error = caught.value
    assert isinstance(error, ValueError)
    assert "decay_steps=0 is invalid" in str(error)
    assert error.span.column == 24
    assert error.span.end - error.span.start == 1
