"""Tests for the native schedules and for composing them with ``>>`` and friends.

Expected values come from closed forms written in this file (the ``ref_*``
functions restate the formulas of the native schedule table), never from
lrdsl itself. Goldens agree to a relative error of ``REL`` (absolute ``ABS``
near zero). Step boundaries are checked with ``==``, because steps are exact
integers up to ``2**62``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrdsl
from lrdsl._registry import REGISTRY

REL = 1e-12
ABS = 1e-15

# Scalar and vector evaluation compute the same formula with math and numpy,
# which may round differently by a few ulp (numpy may use SIMD cos and pow).
PATH_REL = 1e-12
PATH_ABS = 1e-15


# Closed forms: s is the step, t = min(s, steps).


def ref_warmup(steps, peak, start=0.0):
    def f(s):
        if steps == 0:
            return peak
        return start + (peak - start) * min(s, steps) / steps

    return f


def ref_linear(init, end, steps):
    def f(s):
        if steps == 0:
            return end
        return init + (end - init) * min(s, steps) / steps

    return f


def ref_cosine(init, steps, end=0.0):
    def f(s):
        if steps == 0:
            return end
        t = min(s, steps)
        return end + (init - end) * (1 + math.cos(math.pi * t / steps)) / 2

    return f


def ref_polynomial(init, end, steps, power=1.0):
    def f(s):
        if steps == 0:
            return end
        return (init - end) * (1 - min(s, steps) / steps) ** power + end

    return f


def ref_exponential(init, gamma, every=1, staircase=False):
    def f(s):
        exponent = s // every if staircase else s / every
        try:
            return init * gamma**exponent
        except OverflowError:
            # Growth past the float range is inf, as IEEE 754 rounds it.
            return math.copysign(math.inf, init)

    return f


def ref_step(init, every, gamma=0.1):
    return lambda s: init * gamma ** (s // every)


def ref_multistep(init, milestones, gamma=0.1):
    return lambda s: init * gamma ** sum(1 for m in milestones if m <= s)


def ref_piecewise(boundaries, values):
    def f(s):
        for boundary, value in zip(boundaries, values, strict=False):
            if s < boundary:
                return value
        return values[-1]

    return f


def ref_inverse_sqrt(peak, warmup, init=0.0):
    def f(s):
        if s < warmup:
            return init + (peak - init) * s / warmup
        return peak * math.sqrt(warmup / s)

    return f


# (a) Goldens: schedule text, closed form, steps to check.

STEPS = [0, 1, 2, 3, 5, 9, 10, 11, 29, 30, 31, 45, 89, 90, 99, 100, 101]
STEPS += [999, 1000, 1001, 1999, 2000, 3999, 4000, 4001, 10**6]

GOLDEN = [
    ("warmup(10, 0.5)", ref_warmup(10, 0.5)),
    ("warmup(10, 0.5, start=0.1)", ref_warmup(10, 0.5, 0.1)),
    ("warmup(0, 0.3)", ref_warmup(0, 0.3)),
    ("linear(0.1, 0.01, 90)", ref_linear(0.1, 0.01, 90)),
    ("linear(2, 4, 3)", ref_linear(2.0, 4.0, 3)),
    ("linear(0.0, 1.0, 0)", ref_linear(0.0, 1.0, 0)),
    ("cosine(0.1, 100)", ref_cosine(0.1, 100)),
    ("cosine(0.1, 100, end=0.001)", ref_cosine(0.1, 100, 0.001)),
    ("cosine(0.0, 10, 1.0)", ref_cosine(0.0, 10, 1.0)),
    ("cosine(0.2, 0, 0.05)", ref_cosine(0.2, 0, 0.05)),
    ("polynomial(0.1, 0.0001, 1000)", ref_polynomial(0.1, 0.0001, 1000)),
    ("polynomial(1.0, 0.0, 10, power=0.5)", ref_polynomial(1.0, 0.0, 10, 0.5)),
    ("polynomial(1.0, 0.2, 100, 2)", ref_polynomial(1.0, 0.2, 100, 2.0)),
    ("polynomial(1.0, 0.2, 0, 2)", ref_polynomial(1.0, 0.2, 0, 2.0)),
    ("exponential(0.1, 0.96)", ref_exponential(0.1, 0.96)),
    ("exponential(0.1, 0.96, every=100)", ref_exponential(0.1, 0.96, 100)),
    (
        "exponential(0.1, 0.96, 100, staircase=true)",
        ref_exponential(0.1, 0.96, 100, True),
    ),
    ("exponential(1e-7, 1.1)", ref_exponential(1e-7, 1.1)),
    ("exponential(0.5, 0.0)", ref_exponential(0.5, 0.0)),
    ("exponential(0.5, 0, 3, true)", ref_exponential(0.5, 0.0, 3, True)),
    ("step(0.1, 30)", ref_step(0.1, 30)),
    ("step(0.1, 30, gamma=0.5)", ref_step(0.1, 30, 0.5)),
    ("step(1.0, 1, 0.9)", ref_step(1.0, 1, 0.9)),
    ("multistep(0.1, [30, 90, 2000])", ref_multistep(0.1, [30, 90, 2000])),
    ("multistep(1.0, [5, 5, 10], 0.5)", ref_multistep(1.0, [5, 5, 10], 0.5)),
    ("multistep(1.0, [0, 3], gamma=0.5)", ref_multistep(1.0, [0, 3], 0.5)),
    ("multistep(0.3, [])", ref_multistep(0.3, [])),
    (
        "piecewise([1000, 2000], [0.1, 0.01, 0.001])",
        ref_piecewise([1000, 2000], [0.1, 0.01, 0.001]),
    ),
    ("piecewise([0, 5], [9.0, 1.0, 2.0])", ref_piecewise([0, 5], [9.0, 1.0, 2.0])),
    ("piecewise([], [0.7])", ref_piecewise([], [0.7])),
    ("inverse_sqrt(0.001, 4000)", ref_inverse_sqrt(0.001, 4000)),
    ("inverse_sqrt(1.0, 4, init=0.5)", ref_inverse_sqrt(1.0, 4, 0.5)),
    ("inverse_sqrt(2.0, 1, init=2.0)", ref_inverse_sqrt(2.0, 1, 2.0)),
]


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_scalar(text, expected):
    f = lrdsl.compile(text)
    for s in STEPS:
        value = f(s)
        assert isinstance(value, float)
        assert value == pytest.approx(expected(s), rel=REL, abs=ABS), s


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_vector(text, expected):
    values = lrdsl.compile(text)(np.array(STEPS))
    assert values.dtype == np.float64
    want = [expected(s) for s in STEPS]
    np.testing.assert_allclose(values, want, rtol=REL, atol=ABS)


def test_keywords_match_positional_order():
    positional = lrdsl.compile("cosine(1.0, 8, 0.5)")
    keywords = lrdsl.compile("cosine(end=0.5, steps=8, init=1.0)")
    steps = np.arange(12)
    np.testing.assert_array_equal(positional(steps), keywords(steps))


def test_step_units_in_arguments():
    f = lrdsl.compile(
        "warmup(2ep, 0.1) >> cosine(0.1, 50%)", steps_per_epoch=5, total_steps=200
    )
    assert f.duration == 110
    assert f(5) == pytest.approx(0.05, rel=REL)
    assert f(10) == 0.1
    assert f(60) == pytest.approx(0.05, rel=REL)
    assert f(110) == 0.0


SIGNATURES = {
    "constant": "constant(value)",
    "warmup": "warmup(steps, peak, start=0.0)",
    "linear": "linear(init, end, steps)",
    "cosine": "cosine(init, steps, end=0.0)",
    "polynomial": "polynomial(init, end, steps, power=1.0)",
    "exponential": "exponential(init, gamma, every=1, staircase=false)",
    "step": "step(init, every, gamma=0.1)",
    "multistep": "multistep(init, milestones, gamma=0.1)",
    "piecewise": "piecewise(boundaries, values)",
    "inverse_sqrt": "inverse_sqrt(peak, warmup, init=0.0)",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature(name):
    assert REGISTRY[name].signature() == SIGNATURES[name]


@pytest.mark.parametrize("name", sorted(set(SIGNATURES) - {"constant"}))
def test_native_family(name):
    assert REGISTRY[name].family == "native"


DURATIONS = [
    ("warmup(7, 0.1)", 7),
    ("warmup(0, 0.1)", 0),
    ("linear(1, 0, 12)", 12),
    ("cosine(1, 13)", 13),
    ("polynomial(1, 0, 14)", 14),
    ("exponential(1, 0.9)", math.inf),
    ("step(1, 10)", math.inf),
    ("multistep(1, [10])", math.inf),
    ("piecewise([10], [1, 2])", math.inf),
    ("inverse_sqrt(1, 10)", math.inf),
]


@pytest.mark.parametrize(("text", "duration"), DURATIONS)
def test_duration(text, duration):
    assert lrdsl.compile(text).duration == duration


# (b) Properties.

# No deadline: the first compile in a run also builds the parser, which is
# slow enough to trip hypothesis's timing check on a loaded machine.
property_settings = settings(deadline=None, max_examples=60)

values = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
lengths = st.one_of(st.integers(1, 100), st.integers(1, 10**7), st.just(2**62))
powers = st.floats(0.1, 5.0)


def _probe_steps(n, data):
    """Return sorted steps around 0 and ``n``, with random ones before 2 * n."""
    picked = data.draw(st.lists(st.integers(0, 2 * n), max_size=30))
    fixed = [0, 1, n - 1, n, n + 1, 2 * n]
    return np.array(sorted({min(s, 2**62) for s in fixed + picked}))


def _ramps(a, b, n, power):
    """Return (text, start, end) for each ramp from ``a`` to ``b``."""
    return [
        (f"warmup({n}, {b!r}, start={a!r})", a, b),
        (f"linear({a!r}, {b!r}, {n})", a, b),
        (f"cosine({a!r}, {n}, end={b!r})", a, b),
        (f"polynomial({a!r}, {b!r}, {n}, power={power!r})", a, b),
    ]


@property_settings
@given(a=values, b=values, n=lengths, power=powers, data=st.data())
def test_ramps_monotone(a, b, n, power, data):
    steps = _probe_steps(n, data)
    for text, start, end in _ramps(a, b, n, power):
        diffs = np.diff(lrdsl.compile(text)(steps))
        if start <= end:
            assert np.all(diffs >= 0), text
        else:
            assert np.all(diffs <= 0), text


@property_settings
@given(a=values, b=values, n=lengths, power=powers)
def test_ramps_reach_end_exactly(a, b, n, power):
    for text, start, end in _ramps(a, b, n, power):
        f = lrdsl.compile(text)
        assert f(n) == end, text
        assert f(min(n + 1, 2**62)) == end, text
        assert f(np.array([n]))[0] == end, text
        assert f(0) == pytest.approx(start, rel=REL, abs=ABS), text


@property_settings
@given(a=values, b=values)
def test_linear_ramps_start_exactly(a, b):
    assert lrdsl.compile(f"linear({a!r}, {b!r}, 10)")(0) == a
    assert lrdsl.compile(f"warmup(10, {b!r}, start={a!r})")(0) == a


@property_settings
@given(a=values, b=values, power=powers)
def test_zero_steps_read_end(a, b, power):
    steps = np.array([0, 1, 10**9])
    for text, _, end in _ramps(a, b, 0, power):
        f = lrdsl.compile(text)
        assert f(0) == end, text
        np.testing.assert_array_equal(f(steps), end)


@property_settings
@given(
    peak=st.floats(1e-6, 10.0),
    warm=st.integers(1, 10**6),
    decay=st.integers(1, 10**6),
)
def test_warmup_cosine_continuous_at_join(peak, warm, decay):
    f = lrdsl.compile(f"warmup({warm}, {peak!r}) >> cosine({peak!r}, {decay})")
    assert f(warm) == peak
    # No jump at the join is larger than one step of either part.
    warmup_step = peak / warm
    cosine_step = peak * (1 - math.cos(math.pi / decay)) / 2
    assert abs(f(warm) - f(warm - 1)) <= warmup_step * (1 + 1e-9)
    assert abs(f(warm + 1) - f(warm)) <= cosine_step * (1 + 1e-6) + 1e-15 * peak


@property_settings
@given(
    init=st.floats(1e-6, 10.0),
    gamma=st.floats(0.0, 2.0),
    every=st.integers(1, 1000),
    steps=st.lists(st.integers(0, 10**5), min_size=1, max_size=20),
)
def test_staircase_exponential_equals_step(init, gamma, every, steps):
    stairs = lrdsl.compile(f"exponential({init!r}, {gamma!r}, {every}, true)")
    step = lrdsl.compile(f"step({init!r}, {every}, {gamma!r})")
    np.testing.assert_array_equal(stairs(steps), step(steps))


@property_settings
@given(init=values, end=values, n=st.integers(1, 10**6))
def test_polynomial_power_one_is_linear(init, end, n):
    steps = np.array([0, n // 3, n // 2, n - 1, n, n + 5])
    poly = lrdsl.compile(f"polynomial({init!r}, {end!r}, {n})")(steps)
    line = lrdsl.compile(f"linear({init!r}, {end!r}, {n})")(steps)
    np.testing.assert_allclose(poly, line, rtol=1e-12, atol=1e-12)


EVERY_SCHEDULE = [
    "warmup(100, 0.1)",
    "warmup(0, 0.1, start=0.5)",
    "linear(0.3, 0.1, 1000)",
    "linear(0.3, 0.1, 0)",
    "cosine(0.1, 1000)",
    "cosine(0.1, 4611686018427387904, end=0.01)",
    "cosine(0.1, 0, 0.2)",
    "polynomial(0.1, 0.001, 1000, power=0.9)",
    "polynomial(0.1, 0.001, 0)",
    "exponential(0.1, 0.96)",
    "exponential(0.1, 0.96, every=1000)",
    "exponential(0.1, 0.5, 1000, staircase=true)",
    "exponential(1e-7, 1.5)",
    "exponential(1.0, 0.0)",
    "step(0.1, 30, 0.5)",
    "multistep(0.1, [30, 60, 1099511627776])",
    "multistep(0.1, [])",
    "piecewise([1000, 2000], [0.1, 0.01, 0.001])",
    "piecewise([], [0.5])",
    "inverse_sqrt(0.001, 4000)",
    "inverse_sqrt(0.001, 4000, init=0.0001)",
    "warmup(500, 0.1) >> cosine(0.1, 9500) >> 0.001",
    "linear(0.1, 0.2, 0) >> warmup(10, 0.2) >> global(multistep(0.2, [50], 0.5))",
    "min(exponential(1.0, 0.99), 0.5) + clip(cosine(1, 100), 0.2, 0.8) / 4",
]

probe_steps = st.lists(
    st.one_of(st.integers(0, 10**5), st.integers(0, 2**62)), min_size=1, max_size=25
)


@pytest.mark.parametrize("text", EVERY_SCHEDULE)
@property_settings
@given(steps=probe_steps)
def test_scalar_equals_vector(text, steps):
    f = lrdsl.compile(text)
    vector = f(np.array(steps, dtype=np.int64))
    scalar = np.array([f(s) for s in steps])
    numpy_scalar = np.array([f(np.int64(s)) for s in steps])
    np.testing.assert_allclose(scalar, vector, rtol=PATH_REL, atol=PATH_ABS)
    np.testing.assert_array_equal(scalar, numpy_scalar)


@pytest.mark.parametrize("text", EVERY_SCHEDULE)
def test_any_shape(text):
    f = lrdsl.compile(text)
    grid = np.arange(0, 24_000, 1000).reshape(2, 3, 4)
    values = f(grid)
    assert values.shape == (2, 3, 4)
    np.testing.assert_array_equal(values, f(grid.reshape(-1)).reshape(2, 3, 4))
    assert f(np.array(1000)).shape == ()
    assert f(np.array(1000)) == f(np.array([1000]))[0]
    assert f(np.zeros((0,), dtype=np.int64)).shape == (0,)
    assert f(np.zeros((3, 0), dtype=np.int64)).shape == (3, 0)


@pytest.mark.parametrize("text", EVERY_SCHEDULE)
def test_unsorted_steps(text):
    f = lrdsl.compile(text)
    steps = np.arange(0, 12_000, 7)
    shuffled = np.random.default_rng(0).permutation(steps)
    order = np.argsort(shuffled)
    np.testing.assert_array_equal(f(shuffled)[order], f(steps))
    np.testing.assert_array_equal(f(steps[::-1])[::-1], f(steps))


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.uint64, np.float64])
def test_step_dtypes(dtype):
    f = lrdsl.compile("piecewise([3, 6], [1.0, 0.5, 0.25])")
    steps = np.array([0, 2, 3, 5, 6, 9], dtype=dtype)
    np.testing.assert_array_equal(f(steps), [1.0, 1.0, 0.5, 0.5, 0.25, 0.25])
    assert f(3.0) == 0.5


BIG = [
    # (text, step, expected): the value changes exactly at an int64 boundary.
    ("piecewise([1099511627776], [1.0, 2.0])", 2**40 - 1, 1.0),
    ("piecewise([1099511627776], [1.0, 2.0])", 2**40, 2.0),
    # 2**53 + 1 is not a float64, so a float comparison would merge the two.
    ("piecewise([9007199254740993], [1.0, 2.0])", 2**53, 1.0),
    ("piecewise([9007199254740993], [1.0, 2.0])", 2**53 + 1, 2.0),
    ("piecewise([4611686018427387903], [1.0, 2.0])", 2**62 - 1, 2.0),
    ("piecewise([4611686018427387904], [1.0, 2.0])", 2**62 - 1, 1.0),
    ("piecewise([4611686018427387904], [1.0, 2.0])", 2**62, 2.0),
    ("multistep(1.0, [8589934592, 4611686018427387904], 0.5)", 2**33 - 1, 1.0),
    ("multistep(1.0, [8589934592, 4611686018427387904], 0.5)", 2**33, 0.5),
    ("multistep(1.0, [8589934592, 4611686018427387904], 0.5)", 2**62 - 1, 0.5),
    ("multistep(1.0, [8589934592, 4611686018427387904], 0.5)", 2**62, 0.25),
    ("step(1.0, 1152921504606846976, 0.5)", 2**60 - 1, 1.0),
    ("step(1.0, 1152921504606846976, 0.5)", 2**60, 0.5),
    ("step(1.0, 1152921504606846976, 0.5)", 2**62 - 1, 0.125),
    ("step(1.0, 1152921504606846976, 0.5)", 2**62, 0.0625),
    ("step(1.0, 9007199254740993, 0.5)", 2**53, 1.0),
    ("step(1.0, 9007199254740993, 0.5)", 2**53 + 1, 0.5),
    ("exponential(1.0, 0.5, 1152921504606846976, true)", 2**62 - 1, 0.125),
    ("exponential(1.0, 0.5, 1152921504606846976, true)", 2**62, 0.0625),
    ("exponential(1.0, 0.5, 1152921504606846976)", 2**61, 0.25),
    ("warmup(1099511627776, 1.0)", 2**39, 0.5),
    ("warmup(1099511627776, 1.0)", 2**62, 1.0),
    ("linear(1.0, 0.0, 4611686018427387904)", 2**62, 0.0),
    ("cosine(1.0, 4611686018427387904)", 2**62, 0.0),
    ("polynomial(1.0, 0.0, 4611686018427387904)", 2**62, 0.0),
    ("inverse_sqrt(1.0, 1099511627776)", 2**40 - 2**39, 0.5),
    ("inverse_sqrt(1.0, 1099511627776)", 2**42, 0.5),
    ("inverse_sqrt(1.0, 1)", 2**62, 2.0**-31),
    ("1.0 for 4611686018427387903 >> 2.0", 2**62 - 2, 1.0),
    ("1.0 for 4611686018427387903 >> 2.0", 2**62 - 1, 2.0),
    ("linear(1.0, 0.0, 9007199254740993) >> 5.0", 2**53 + 1, 5.0),
]


@pytest.mark.parametrize(("text", "step", "expected"), BIG)
def test_large_steps(text, step, expected):
    f = lrdsl.compile(text)
    assert f(step) == expected
    assert f(np.array([step]))[0] == expected
    assert f(np.array([0, step, step]))[1] == expected


def test_large_step_before_join_is_still_first_part():
    f = lrdsl.compile("linear(1.0, 0.0, 9007199254740993) >> 5.0")
    assert f(2**53) < 1e-15
    assert f(np.array([2**53]))[0] < 1e-15


# (c) Errors: bad text -> a fragment of the message.

ERRORS = [
    ("exponential(0.1, 0.9, every=0)", "every=0 is invalid; expected 0 < every"),
    ("step(0.1, 0)", "every=0 is invalid; expected 0 < every"),
    ("exponential(0.1, -0.5)", "gamma=-0.5 is invalid; expected 0 <= gamma"),
    ("step(0.1, 30, gamma=-0.1)", "expected 0 <= gamma"),
    ("multistep(0.1, [30], -2)", "expected 0 <= gamma"),
    ("polynomial(1, 0, 10, power=0)", "power=0.0 is invalid; expected 0 < power"),
    ("polynomial(1, 0, 10, -1)", "expected 0 < power"),
    ("inverse_sqrt(1.0, 0)", "warmup=0 is invalid; expected 0 < warmup"),
    (
        "piecewise([20, 10], [1, 2, 3])",
        "piecewise: boundaries=",
    ),
    ("piecewise([20, 10], [1, 2, 3])", "expected boundaries[0] < boundaries[1]"),
    ("piecewise([10, 10], [1, 2, 3])", "expected boundaries[0] < boundaries[1]"),
    ("piecewise([10], [1, 2, 3])", "expected len(values) == len(boundaries) + 1"),
    ("piecewise([10, 20], [1, 2])", "expected len(values) == len(boundaries) + 1"),
    ("piecewise([], [])", "expected len(values) == len(boundaries) + 1"),
    ("multistep(0.1, [60, 30])", "expected milestones[0] <= milestones[1]"),
    ("linear(1, 0, 2.5)", "steps must be a whole number of steps, got 2.5"),
    ("cosine(1, 28.999999999999996)", "must be a whole number of steps"),
    ("warmup(0.5, 1)", "warmup: steps must be a whole number of steps"),
    ("piecewise([1.5], [1, 2])", "boundaries must be a whole number of steps"),
    ("multistep(0.1, [10, 20.5])", "milestones must be a whole number of steps"),
    ("step(0.1, 7.5)", "every must be a whole number of steps"),
    ("inverse_sqrt(1, 10.25)", "warmup must be a whole number of steps"),
    ("linear(1, 0, -1)", "expected 0 <= steps <= 2**62"),
    ("linear(1, 0, 4611686018427387905)", "expected 0 <= steps <= 2**62"),
    ("cosine(1)", "cosine() is missing 'steps'"),
    ("linear(1, 0, 10, 5)", "linear() takes at most 3 arguments, got 4"),
    ("cosine(1, 10, eta_min=0)", "cosine() has no parameter 'eta_min'"),
    ("step(1, 10, gama=0.5)", "did you mean 'gamma'?"),
    ("exponential(0.1, 0.9, staircase=1)", "staircase must be true or false"),
    ("linear(1ep, 0, 10)", "init is not a step count, so it takes no unit"),
    ("cosine(0.1, 5ep)", "5ep needs steps_per_epoch"),
    ("piecewise(10, [1, 2])", "boundaries must be a list"),
    ("piecewise([10], 1)", "values must be a list"),
    ("cosin(0.1, 10)", "did you mean 'cosine'?"),
    ("exponential(0.1, 0.9) >> 0.1", "exponential(...) has no end"),
    ("inverse_sqrt(0.1, 10) >> 0.1", "inverse_sqrt(...) has no end"),
    ("linear(1, 0, 4) / 0", "division by zero"),
    ("(1.0 for 4611686018427387904) >> 1.0 for 1 >> 2.0", "the limit is 2**62"),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_error_message(text, fragment):
    with pytest.raises(lrdsl.LrdslError) as caught:
        lrdsl.compile(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("exponential(0.1, 0.9, every=0)", "0"),
        ("piecewise([20, 10], [1, 2, 3])", "[20, 10]"),
        ("piecewise([10], [1, 2, 3])", "[1, 2, 3]"),
        ("linear(1, 0, 2.5)", "2.5"),
        ("polynomial(1, 0, 10, power=0)", "0"),
    ],
)
def test_error_points_at_argument(text, culprit):
    with pytest.raises(lrdsl.ArgumentError) as caught:
        lrdsl.compile(text)
    error = caught.value
    assert isinstance(error, ValueError)
    start = error.column - 1
    assert text[start : error.end_column - 1] == culprit
    assert text.rindex(culprit) == start


# Composition semantics with native schedules.


def _values(text, n, **kwargs):
    f = lrdsl.compile(text, **kwargs)
    vector = f(np.arange(n)).tolist()
    assert vector == pytest.approx([f(s) for s in range(n)], rel=REL, abs=ABS)
    return vector


def test_sequence_runs_each_part_on_its_own_clock():
    values = _values("linear(1.0, 0.0, 4) >> step(1.0, 2, 0.5)", 9)
    assert values == pytest.approx([1.0, 0.75, 0.5, 0.25, 1.0, 1.0, 0.5, 0.5, 0.25])


def test_sequence_duration_is_sum():
    f = lrdsl.compile("warmup(3, 1.0) >> cosine(1.0, 5) >> linear(0.0, 1.0, 2)")
    assert f.duration == 10
    assert lrdsl.compile("warmup(3, 1.0) >> step(1.0, 2)").duration == math.inf


def test_sequence_boundaries_are_half_open():
    text = "1.0 for 3 >> 2.0 for 2 >> 3.0 for 1 >> 4.0"
    assert _values(text, 8) == [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0]


def test_sequence_first_step_of_segment_uses_new_segment():
    # At step 4 the first part would read 0.0, and the second part reads 0.5.
    f = lrdsl.compile("linear(1.0, 0.0, 4) >> linear(0.5, 0.25, 4)")
    assert f(3) == 0.25
    assert f(4) == 0.5
    assert f(8) == 0.25


def test_sequence_skips_zero_duration_segments():
    text = (
        "warmup(0, 9.0) >> linear(9.0, 8.0, 0) >> cosine(1.0, 2)"
        " >> polynomial(7.0, 6.0, 0) >> 0.5"
    )
    assert _values(text, 5) == pytest.approx([1.0, 0.5, 0.5, 0.5, 0.5])
    middle = "1.0 for 2 >> 2.0 for 0 >> 3.0"
    assert _values(middle, 4) == [1.0, 1.0, 3.0, 3.0]


def test_for_sets_duration_without_changing_values():
    assert _values("exponential(1.0, 0.5) for 2 >> 9.0", 4) == [1.0, 0.5, 9.0, 9.0]
    shortened = _values("linear(1.0, 0.0, 10) for 4 >> 7.0", 6)
    assert shortened == pytest.approx([1.0, 0.9, 0.8, 0.7, 7.0, 7.0])
    # Past its own steps the inner schedule holds its end value.
    assert _values("linear(1.0, 0.0, 2) for 4 >> 7.0", 6) == [
        1.0,
        0.5,
        0.0,
        0.0,
        7.0,
        7.0,
    ]
    assert lrdsl.compile("step(1.0, 2) for 30").duration == 30


def test_global_reads_training_step():
    local = _values("warmup(2, 1.0) >> multistep(1.0, [4], 0.5)", 8)
    glob = _values("warmup(2, 1.0) >> global(multistep(1.0, [4], 0.5))", 8)
    assert local == [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert glob == [0.0, 0.5, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]


def test_global_inside_nested_sequence():
    text = "1.0 for 2 >> (2.0 for 2 >> global(piecewise([5], [3.0, 4.0])))"
    assert _values(text, 7) == [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0]


def test_arithmetic_is_pointwise():
    steps = range(12)
    lin = ref_linear(1.0, 0.0, 8)
    cos = ref_cosine(1.0, 10, 0.5)
    cases = {
        "0.5 * linear(1.0, 0.0, 8) + 0.1": lambda s: 0.5 * lin(s) + 0.1,
        "linear(1.0, 0.0, 8) - cosine(1.0, 10, 0.5)": lambda s: lin(s) - cos(s),
        "cosine(1.0, 10, 0.5) / 2": lambda s: cos(s) / 2,
        "2 / cosine(1.0, 10, 0.5)": lambda s: 2 / cos(s),
        "-linear(1.0, 0.0, 8) * 3": lambda s: -lin(s) * 3,
        "linear(1.0, 0.0, 8) * cosine(1.0, 10, 0.5)": lambda s: lin(s) * cos(s),
    }
    for text, expected in cases.items():
        want = [expected(s) for s in steps]
        assert _values(text, 12) == pytest.approx(want, rel=REL, abs=ABS), text


def test_arithmetic_duration_is_min_finite():
    assert lrdsl.compile("linear(1, 0, 8) + cosine(1, 10)").duration == 8
    assert lrdsl.compile("linear(1, 0, 8) * 2").duration == 8
    assert lrdsl.compile("2 - cosine(1, 10)").duration == 10
    assert lrdsl.compile("step(1, 3) / exponential(1, 0.5)").duration == math.inf
    f = lrdsl.compile("(linear(1.0, 0.0, 4) + cosine(1.0, 10)) >> 9.0")
    assert f(3) == pytest.approx(0.25 + ref_cosine(1.0, 10)(3), rel=REL)
    assert f(4) == 9.0


def test_min_max_clip():
    assert _values("min(linear(0.0, 1.0, 10), 0.5)", 8) == pytest.approx(
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5]
    )
    assert _values("max(step(1.0, 2, 0.5), 0.3, linear(0.0, 0.4, 4))", 7) == (
        pytest.approx([1.0, 1.0, 0.5, 0.5, 0.4, 0.4, 0.4])
    )
    clipped = _values("clip(cosine(1.0, 10), 0.2, 0.8)", 11)
    want = [min(max(ref_cosine(1.0, 10)(s), 0.2), 0.8) for s in range(11)]
    assert clipped == pytest.approx(want, rel=REL)
    assert lrdsl.compile("min(linear(1, 0, 8), cosine(1, 5))").duration == 5
    assert lrdsl.compile("clip(step(1, 2), 0, warmup(6, 1))").duration == 6


def test_numbers_are_constant_schedules():
    assert _values("0.25", 3) == [0.25, 0.25, 0.25]
    assert lrdsl.compile("0.25").duration == math.inf
    assert _values("warmup(2, 0.1) >> 0.1", 4) == [0.0, 0.05, 0.1, 0.1]
    assert _values("warmup(2, 1.0) >> peak", 4, variables={"peak": 0.5}) == [
        0.0,
        0.5,
        0.5,
        0.5,
    ]
    assert lrdsl.compile("2 * 3").duration == math.inf


def test_values_past_the_end_hold_last_segment():
    f = lrdsl.compile("warmup(4, 1.0) >> cosine(1.0, 6, end=0.1)")
    assert f.duration == 10
    assert f(10) == 0.1
    assert f(10**12) == 0.1
