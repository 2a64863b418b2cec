"""Paddle 2.x learning-rate classes: Paddle's values, recursions, errors.

Records from ``tests/data/paddle_vectors.json`` were produced by Paddle's
classes in float64, driven by ``step()`` (``paddle2_class``) or by
``step(epoch=k)`` (``paddle2_class_epoch``). For the classes without records,
the ``paddle_*`` functions below restate Paddle's update rules step by step,
as ``scheduler.step()`` applies them, and lrdsl's closed forms must agree.
Where Paddle is installed, ``test_matches_installed_paddle`` also runs its
classes.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import lrdsl
from lrdsl._registry import REGISTRY

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "paddle_vectors.json").read_text()
)

# Paddle 2.x computes in Python floats, so only rounding separates the values.
REL = 1e-9
ABS = 1e-12

CLASSES = [
    "NoamDecay",
    "ExponentialDecay",
    "NaturalExpDecay",
    "InverseTimeDecay",
    "PolynomialDecay",
    "PiecewiseDecay",
    "CosineAnnealingDecay",
    "LinearWarmup",
    "StepDecay",
    "MultiStepDecay",
    "LinearLR",
    "OneCycleLR",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
]


def compile_quietly(text, **kwargs):
    """Compile ``text`` without emitting its legal-but-suspicious warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lrdsl.LrdslWarning)
        return lrdsl.compile(text, **kwargs)


def assert_close(actual, expected, where=""):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    allowed = REL * np.abs(expected) + ABS
    bad = np.flatnonzero(~(np.abs(actual - expected) <= allowed))
    assert bad.size == 0, (
        f"{where} at {bad[:5]}: {actual[bad[:5]]} != {expected[bad[:5]]}"
    )


# Records.


def dsl_literal(value):
    """Write a reference-file parameter as DSL text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(dsl_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return inner_call(value)
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def inner_call(description):
    """Write an inner scheduler of ``LinearWarmup`` as a DSL call.

    ``base_lr`` is the scheduler's ``base_lr`` attribute: the
    ``learning_rate`` it was built with. ``PiecewiseDecay`` takes no
    ``learning_rate``; its ``base_lr`` is the base class default (0.1) and
    never enters its values, so it is dropped.
    """
    name = description["class"]
    params = {
        key: value
        for key, value in description.items()
        if key not in ("class", "base_lr")
    }
    if REGISTRY[name].param("learning_rate") is not None:
        params = {"learning_rate": description["base_lr"], **params}
    return dsl_call(name, params)


def dsl_call(api, params):
    arguments = ", ".join(
        f"{key}={dsl_literal(value)}" for key, value in params.items()
    )
    return f"{api}({arguments})"


RECORDS = [
    record
    for record in VECTORS["vectors"]
    if record["source"] in ("paddle2_class", "paddle2_class_epoch")
]
RECORD_IDS = [
    f"{record['source']}:{dsl_call(record['api'], record['params'])}"
    for record in RECORDS
]


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_matches_paddle_record(record):
    f = compile_quietly(dsl_call(record["api"], record["params"]))
    steps = np.asarray(record["steps"])
    expected = record["values"]

    vector = f(steps)
    assert vector.dtype == np.float64
    assert_close(vector, expected, "vector")

    scalars = [f(step) for step in steps.tolist()]
    assert all(isinstance(value, float) for value in scalars)
    assert_close(scalars, expected, "scalar")


def test_records_cover_eleven_classes():
    assert {record["api"] for record in RECORDS} == set(CLASSES) - {
        "OneCycleLR",
        "CyclicLR",
        "CosineAnnealingWarmRestarts",
    }


def test_records_count_last_epoch_from_zero():
    # The value at steps[i] is the one Paddle showed while last_epoch == i.
    for record in RECORDS:
        if "last_epoch_seen" in record:
            assert record["last_epoch_seen"] == record["steps"]


# Signatures: Paddle's names, parameter names and order, without last_epoch
# and verbose (and without CyclicLR's Python-function arguments).


@pytest.mark.parametrize(
    "signature",
    [
        "NoamDecay(d_model, warmup_steps, learning_rate=1.0)",
        "ExponentialDecay(learning_rate, gamma)",
        "NaturalExpDecay(learning_rate, gamma)",
        "InverseTimeDecay(learning_rate, gamma)",
        "PolynomialDecay(learning_rate, decay_steps, end_lr=0.0001, power=1.0, "
        "cycle=false)",
        "PiecewiseDecay(boundaries, values)",
        "CosineAnnealingDecay(learning_rate, T_max, eta_min=0)",
        "LinearWarmup(learning_rate, warmup_steps, start_lr, end_lr)",
        "StepDecay(learning_rate, step_size, gamma=0.1)",
        "MultiStepDecay(learning_rate, milestones, gamma=0.1)",
        "LinearLR(learning_rate, total_steps, start_factor=0.3333333333333333, "
        "end_factor=1.0)",
        "OneCycleLR(max_learning_rate, total_steps, divide_factor=25.0, "
        'end_learning_rate=0.0001, phase_pct=0.3, anneal_strategy="cos", '
        "three_phase=false)",
        "CyclicLR(base_learning_rate, max_learning_rate, step_size_up, "
        'step_size_down=None, mode="triangular", exp_gamma=1.0)',
        "CosineAnnealingWarmRestarts(learning_rate, T_0, T_mult=1, eta_min=0)",
    ],
)
def test_signature_is_paddles(signature):
    spec = REGISTRY[signature.split("(")[0]]
    assert spec.family == "paddle2"
    assert spec.signature() == signature


def test_family_has_fourteen_classes():
    names = [spec.name for spec in REGISTRY.values() if spec.family == "paddle2"]
    assert names == CLASSES


def test_positional_equals_keyword():
    positional = lrdsl.compile('OneCycleLR(0.1, 50, 10.0, 1e-5, 0.2, "linear", true)')
    keyword = lrdsl.compile(
        'OneCycleLR(three_phase=true, anneal_strategy="linear", phase_pct=0.2, '
        "end_learning_rate=1e-5, divide_factor=10.0, total_steps=50, "
        "max_learning_rate=0.1)"
    )
    steps = np.arange(60)
    np.testing.assert_array_equal(positional(steps), keyword(steps))


# Paddle's step() rules, restated for the classes that compute a value from
# the previous one, and for those without records.


def paddle_cosine_annealing(learning_rate, T_max, eta_min, count):
    """Return CosineAnnealingDecay's values for last_epoch 0..count-1."""
    values = [learning_rate]
    for epoch in range(1, count):
        last = values[-1]
        if (epoch - 1 - T_max) % (2 * T_max) == 0:
            # Leaving the trough: the ratio below would be 0 / 0 there.
            step_up = (learning_rate - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
            values.append(last + step_up)
        else:
            ratio = (1 + math.cos(math.pi * epoch / T_max)) / (
                1 + math.cos(math.pi * (epoch - 1) / T_max)
            )
            values.append(ratio * (last - eta_min) + eta_min)
    return values


def paddle_linear_lr(learning_rate, total_steps, start_factor, end_factor, count):
    """Return LinearLR's values: each one is the previous times a factor."""
    values = [learning_rate * start_factor]
    change = end_factor - start_factor
    for epoch in range(1, count):
        if epoch > total_steps:
            values.append(values[-1])
            continue
        factor = 1 + change / (total_steps * start_factor + (epoch - 1) * change)
        values.append(values[-1] * factor)
    return values


def paddle_one_cycle(
    max_learning_rate,
    total_steps,
    divide_factor=25.0,
    end_learning_rate=0.0001,
    phase_pct=0.3,
    anneal_strategy="cos",
    three_phase=False,
):
    """Return OneCycleLR's value at last_epoch == step, for 0 <= step <= T."""
    initial = max_learning_rate / divide_factor
    if three_phase:
        ends = [
            phase_pct * total_steps - 1,
            2 * phase_pct * total_steps - 2,
            total_steps - 1,
        ]
        rates = [initial, max_learning_rate, initial, end_learning_rate]
    else:
        ends = [phase_pct * total_steps - 1, total_steps - 1]
        rates = [initial, max_learning_rate, end_learning_rate]
    starts = [0, *ends[:-1]]

    def value(step):
        assert 0 <= step <= total_steps
        for phase, end in enumerate(ends):
            # The last phase takes every step past the earlier ends.
            if step <= end or phase == len(ends) - 1:
                pct = (step - starts[phase]) / (end - starts[phase])
                start_lr, end_lr = rates[phase], rates[phase + 1]
                if anneal_strategy == "cos":
                    return end_lr + (start_lr - end_lr) / 2.0 * (
                        math.cos(math.pi * pct) + 1
                    )
                return (end_lr - start_lr) * pct + start_lr
        raise AssertionError("unreachable")

    return value


def paddle_cyclic(
    base_learning_rate,
    max_learning_rate,
    step_size_up,
    step_size_down=None,
    mode="triangular",
    exp_gamma=1.0,
):
    """Return CyclicLR's value at a step, computed in floats as Paddle does."""
    up = float(step_size_up)
    down = up if step_size_down is None else float(step_size_down)
    cycle_size = up + down
    up_fraction = up / cycle_size

    def value(step):
        cycle = 1 + step // cycle_size
        fraction = 1.0 + step / cycle_size - cycle
        if fraction <= up_fraction:
            height = fraction / up_fraction
        else:
            height = (1 - fraction) / (1 - up_fraction)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = exp_gamma**step
        return base_learning_rate + (max_learning_rate - base_learning_rate) * (
            height * scale
        )

    return value


def paddle_warm_restarts(learning_rate, T_0, T_mult, eta_min, count):
    """Return CosineAnnealingWarmRestarts' values under repeated step()."""
    values = []
    since_restart, period = 0, T_0
    for _ in range(count):
        cosine = math.cos(math.pi * since_restart / period)
        values.append(eta_min + (learning_rate - eta_min) * (1 + cosine) / 2)
        since_restart += 1
        if since_restart >= period:
            since_restart -= period
            period *= T_mult
    return values


@pytest.mark.parametrize(
    ("learning_rate", "T_max", "eta_min"),
    [(0.1, 5, 0.0), (1.0, 3, 0.1), (0.5, 1, 0.0), (0.1, 7, 0.001), (1.0, 1000, 0.0)],
)
def test_cosine_annealing_closed_form_matches_recursion(learning_rate, T_max, eta_min):
    count = 20_000
    f = lrdsl.compile(f"CosineAnnealingDecay({learning_rate}, {T_max}, {eta_min})")
    expected = paddle_cosine_annealing(learning_rate, T_max, eta_min, count)
    assert_close(f(np.arange(count)), expected)


@pytest.mark.parametrize(
    ("learning_rate", "total_steps", "start_factor", "end_factor"),
    [
        (0.5, 5, 1 / 3, 1.0),
        (0.1, 1000, 0.01, 1.0),
        (1.0, 40, 1.0, 0.0),
        (2.0, 1, 0.5, 0.5),
    ],
)
def test_linear_lr_closed_form_matches_recursion(
    learning_rate, total_steps, start_factor, end_factor
):
    count = 2 * total_steps + 10
    f = lrdsl.compile(
        f"LinearLR({learning_rate}, {total_steps}, {start_factor!r}, {end_factor!r})"
    )
    expected = paddle_linear_lr(
        learning_rate, total_steps, start_factor, end_factor, count
    )
    assert_close(f(np.arange(count)), expected)


ONE_CYCLE_CASES = [
    ("OneCycleLR(1.0, 100)", (1.0, 100)),
    ("OneCycleLR(0.1, 50, 10.0, 1e-5, 0.25)", (0.1, 50, 10.0, 1e-5, 0.25)),
    (
        'OneCycleLR(0.1, 37, anneal_strategy="linear")',
        (0.1, 37, 25.0, 1e-4, 0.3, "linear"),
    ),
    (
        "OneCycleLR(2.0, 60, 5.0, 0.0, 0.2, three_phase=true)",
        (2.0, 60, 5.0, 0.0, 0.2, "cos", True),
    ),
    (
        'OneCycleLR(2.0, 61, 5.0, 0.01, 0.45, "linear", true)',
        (2.0, 61, 5.0, 0.01, 0.45, "linear", True),
    ),
    # No rise: step 0 is already in the anneal.
    ("OneCycleLR(1.0, 20, phase_pct=0.0)", (1.0, 20, 25.0, 1e-4, 0.0)),
    # No anneal: the rise reaches the peak at T - 1.
    ("OneCycleLR(1.0, 20, phase_pct=1.0)", (1.0, 20, 25.0, 1e-4, 1.0)),
    ("OneCycleLR(1.0, 1)", (1.0, 1)),
    ("OneCycleLR(1.0, 3, phase_pct=0.5)", (1.0, 3, 25.0, 1e-4, 0.5)),
]


@pytest.mark.parametrize(("text", "args"), ONE_CYCLE_CASES)
def test_one_cycle_matches_paddle_until_last_step(text, args):
    f = lrdsl.compile(text)
    total = args[1]
    reference = paddle_one_cycle(*args)
    steps = np.arange(total)
    expected = [reference(step) for step in steps.tolist()]

    assert_close(f(steps), expected, "vector")
    assert_close([f(step) for step in steps.tolist()], expected, "scalar")


@pytest.mark.parametrize(("text", "args"), ONE_CYCLE_CASES)
def test_one_cycle_holds_last_value(text, args):
    f = lrdsl.compile(text)
    total = args[1]
    last = f(total - 1)
    later = [total, total + 1, 10 * total, 2**62]
    assert f.duration == total
    assert [f(step) for step in later] == [last] * len(later)
    np.testing.assert_array_equal(f(np.asarray(later)), last)


def test_one_cycle_last_value_is_end_rate():
    f = lrdsl.compile("OneCycleLR(1.0, 100, end_learning_rate=0.001)")
    assert f(99) == pytest.approx(0.001, rel=1e-12)
    # Paddle computes one more value at last_epoch == T, past the end of the
    # cosine. No update of a 100-step run uses it, so lrdsl keeps f(99).
    assert paddle_one_cycle(1.0, 100, end_learning_rate=0.001)(100) > 0.001
    assert f(100) == f(99)


@pytest.mark.parametrize(
    ("max_rate", "total", "pct"), [(1.0, 100, 0.3), (0.1, 40, 0.25), (3.0, 12, 0.5)]
)
def test_one_cycle_peaks_at_end_of_rise(max_rate, total, pct):
    f = lrdsl.compile(f"OneCycleLR({max_rate}, {total}, phase_pct={pct})")
    values = f(np.arange(total))
    peak = math.floor(pct * total - 1)

    assert int(np.argmax(values)) == peak
    assert values[peak] == pytest.approx(max_rate, rel=1e-12)
    assert values[0] == pytest.approx(max_rate / 25.0, rel=1e-12)
    assert np.all(np.diff(values[: peak + 1]) > 0)
    assert np.all(np.diff(values[peak:]) < 0)


def test_one_cycle_equals_native_one_cycle():
    if "one_cycle" not in REGISTRY:
        pytest.skip("the native one_cycle is not registered")
    # end_learning_rate is absolute; PyTorch's final_div_factor divides the
    # initial rate (0.1 / 10 / 100 = 1e-4).
    paddle = lrdsl.compile("OneCycleLR(0.1, 80, 10.0, 1e-4, 0.25)")
    native = lrdsl.compile("one_cycle(0.1, 80, 0.25, 10.0, 100.0)")
    steps = np.arange(200)
    assert paddle.duration == native.duration == 80
    assert_close(paddle(steps), native(steps))


CYCLIC_CASES = [
    ("CyclicLR(0.1, 1.0, 5)", (0.1, 1.0, 5)),
    ("CyclicLR(0.1, 1.0, 3, 7)", (0.1, 1.0, 3, 7)),
    ('CyclicLR(0.5, 1.0, 15, 5, "triangular2")', (0.5, 1.0, 15, 5, "triangular2")),
    (
        'CyclicLR(0.01, 0.1, 4, mode="exp_range", exp_gamma=0.99)',
        (0.01, 0.1, 4, None, "exp_range", 0.99),
    ),
    # base above max: the cycle dips instead of rising, as in Paddle.
    ("CyclicLR(1.0, 0.5, 2, 1)", (1.0, 0.5, 2, 1)),
    ("CyclicLR(0.0, 1.0, 1)", (0.0, 1.0, 1)),
]


@pytest.mark.parametrize(("text", "args"), CYCLIC_CASES)
def test_cyclic_matches_paddle(text, args):
    f = lrdsl.compile(text)
    reference = paddle_cyclic(*args)
    steps = np.arange(300)
    expected = [reference(step) for step in steps.tolist()]

    assert_close(f(steps), expected, "vector")
    assert_close([f(step) for step in steps.tolist()], expected, "scalar")


def test_cyclic_period_and_peak():
    f = lrdsl.compile("CyclicLR(0.1, 1.0, 3, 7)")
    steps = np.arange(100)
    np.testing.assert_array_equal(f(steps + 10), f(steps))
    # Each cycle starts at the base and peaks after step_size_up steps.
    assert f(np.arange(0, 100, 10)).tolist() == [0.1] * 10
    assert f(np.arange(3, 100, 10)).tolist() == [1.0] * 10


def test_cyclic_triangular2_halves_each_cycle():
    f = lrdsl.compile('CyclicLR(0.2, 1.0, 2, 2, "triangular2")')
    heights = [f(2 + 4 * k) - 0.2 for k in range(6)]
    assert heights == pytest.approx([0.8 / 2**k for k in range(6)], rel=1e-12)


def test_cyclic_exp_range_scales_every_step():
    triangular = lrdsl.compile("CyclicLR(0.0, 1.0, 4)")
    exp_range = lrdsl.compile('CyclicLR(0.0, 1.0, 4, mode="exp_range", exp_gamma=0.9)')
    steps = np.arange(50)
    assert_close(exp_range(steps), triangular(steps) * 0.9**steps)


def test_cyclic_exp_gamma_ignored_in_other_modes():
    plain = lrdsl.compile("CyclicLR(0.1, 1.0, 4)")
    ignored = lrdsl.compile("CyclicLR(0.1, 1.0, 4, exp_gamma=0.5)")
    steps = np.arange(50)
    np.testing.assert_array_equal(plain(steps), ignored(steps))


def test_cyclic_exact_position_at_huge_step():
    f = lrdsl.compile("CyclicLR(0.0, 1.0, 3)")
    start = 6 * 2**58
    assert [f(start + k) for k in range(7)] == pytest.approx(
        [0.0, 1 / 3, 2 / 3, 1.0, 2 / 3, 1 / 3, 0.0], rel=1e-15, abs=0
    )


WARM_RESTART_CASES = [
    (1.0, 10, 1, 0.0),
    (0.5, 1, 2, 0.0),
    (0.1, 3, 2, 0.001),
    (1.0, 5, 3, 0.1),
    (0.2, 7, 1, 0.05),
]


@pytest.mark.parametrize(
    ("learning_rate", "T_0", "T_mult", "eta_min"), WARM_RESTART_CASES
)
def test_warm_restarts_match_paddle(learning_rate, T_0, T_mult, eta_min):
    f = lrdsl.compile(
        f"CosineAnnealingWarmRestarts({learning_rate}, {T_0}, {T_mult}, {eta_min})"
    )
    count = 2000
    expected = paddle_warm_restarts(learning_rate, T_0, T_mult, eta_min, count)
    steps = np.arange(count)

    assert_close(f(steps), expected, "vector")
    assert_close([f(step) for step in steps.tolist()], expected, "scalar")


@pytest.mark.parametrize(
    ("learning_rate", "T_0", "T_mult", "eta_min"), WARM_RESTART_CASES
)
def test_warm_restarts_restart_at_period_sums(learning_rate, T_0, T_mult, eta_min):
    f = lrdsl.compile(
        f"CosineAnnealingWarmRestarts({learning_rate}, {T_0}, {T_mult}, {eta_min})"
    )
    restart, period = 0, T_0
    for _ in range(6):
        assert f(restart) == pytest.approx(learning_rate, rel=1e-15)
        if period > 1:
            # The last step of a period is the lowest, one step short of eta_min.
            last = f(restart + period - 1)
            assert last < f(restart + period - 2)
            assert last > eta_min
        restart, period = restart + period, period * T_mult


def test_warm_restarts_exact_at_restart():
    f = lrdsl.compile("CosineAnnealingWarmRestarts(1.0, 1, 3)")
    # Periods 1, 3, 9, 27, 81 end at step 121, where step() restarts.
    # Paddle's step(epoch=121) takes the period from math.log(243, 3), which
    # is 4.999999999999999, and reads the last step of the previous period.
    assert f(121) == 1.0
    assert f(120) < 0.001


def test_warm_restarts_at_huge_steps():
    f = lrdsl.compile("CosineAnnealingWarmRestarts(1.0, 1, 2)")
    # Periods of 2**k steps start at 2**k - 1.
    for k in (40, 55, 61):
        assert f(2**k - 1) == 1.0
        assert f(2**k - 2) == pytest.approx(
            (1 + math.cos(math.pi * (2 ** (k - 1) - 1) / 2 ** (k - 1))) / 2, rel=1e-6
        )


# When Paddle is installed, compare with its classes directly.

LIVE_CASES = [
    ("OneCycleLR", {"max_learning_rate": 1.0, "total_steps": 100}),
    (
        "OneCycleLR",
        {
            "max_learning_rate": 2.0,
            "total_steps": 61,
            "divide_factor": 5.0,
            "end_learning_rate": 0.01,
            "phase_pct": 0.45,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
    ),
    ("OneCycleLR", {"max_learning_rate": 1.0, "total_steps": 20, "phase_pct": 1.0}),
    (
        "CyclicLR",
        {"base_learning_rate": 0.5, "max_learning_rate": 1.0, "step_size_up": 15},
    ),
    (
        "CyclicLR",
        {
            "base_learning_rate": 0.1,
            "max_learning_rate": 1.0,
            "step_size_up": 3,
            "step_size_down": 7,
            "mode": "triangular2",
        },
    ),
    (
        "CyclicLR",
        {
            "base_learning_rate": 0.01,
            "max_learning_rate": 0.1,
            "step_size_up": 4,
            "mode": "exp_range",
            "exp_gamma": 0.99,
        },
    ),
    ("CosineAnnealingWarmRestarts", {"learning_rate": 0.5, "T_0": 1, "T_mult": 2}),
    (
        "CosineAnnealingWarmRestarts",
        {"learning_rate": 1.0, "T_0": 5, "T_mult": 3, "eta_min": 0.1},
    ),
    ("CosineAnnealingDecay", {"learning_rate": 0.1, "T_max": 7, "eta_min": 0.001}),
    ("LinearLR", {"learning_rate": 0.1, "total_steps": 300, "start_factor": 0.01}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), LIVE_CASES, ids=[dsl_call(*case) for case in LIVE_CASES]
)
def test_matches_installed_paddle(name, kwargs):
    paddle_lr = pytest.importorskip("paddle.optimizer.lr")
    scheduler = getattr(paddle_lr, name)(**kwargs)
    count = kwargs.get("total_steps", 2000)
    expected = []
    for step in range(count):
        expected.append(scheduler())
        # OneCycleLR raises when stepped to last_epoch == total_steps.
        if step < count - 1:
            scheduler.step()

    assert_close(lrdsl.compile(dsl_call(name, kwargs))(np.arange(count)), expected)


# Properties of the classes with records.


def test_noam_starts_at_zero_and_peaks_at_warmup():
    f = lrdsl.compile("NoamDecay(64, 10)")
    values = f(np.arange(40))
    assert f(0) == 0.0
    assert int(np.argmax(values)) == 10
    assert values[10] == pytest.approx(64**-0.5 * 10**-0.5, rel=1e-12)


def test_noam_is_classic_noam_one_step_later():
    classic = lrdsl.compile("noam_decay(64, 10, 2.0)")
    class_form = lrdsl.compile("NoamDecay(64, 10, 2.0)")
    steps = np.arange(100)
    assert_close(class_form(steps + 1), classic(steps))


@pytest.mark.parametrize(
    ("class_text", "classic_text"),
    [
        ("ExponentialDecay(0.5, 0.9)", "exponential_decay(0.5, 1, 0.9)"),
        ("NaturalExpDecay(0.5, 0.1)", "natural_exp_decay(0.5, 1, 0.1)"),
        ("InverseTimeDecay(0.5, 0.1)", "inverse_time_decay(0.5, 1, 0.1)"),
        ("StepDecay(0.5, 3, 0.5)", "exponential_decay(0.5, 3, 0.5, staircase=true)"),
        (
            "PolynomialDecay(0.5, 7, 0.01, 2.0, true)",
            "polynomial_decay(0.5, 7, 0.01, 2.0, true)",
        ),
        (
            "MultiStepDecay(1.0, [2, 5], 0.5)",
            "piecewise_decay([2, 5], [1.0, 0.5, 0.25])",
        ),
    ],
)
def test_equals_classic_form(class_text, classic_text):
    steps = np.arange(200)
    assert_close(lrdsl.compile(class_text)(steps), lrdsl.compile(classic_text)(steps))


def test_piecewise_extra_values_use_last():
    f = compile_quietly("PiecewiseDecay([2, 4], [1.0, 0.5, 9.0, 0.25])")
    # Past the last boundary Paddle returns values[-1], skipping values[2].
    assert [f(step) for step in range(6)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    np.testing.assert_array_equal(f(np.arange(6)), [1.0, 1.0, 0.5, 0.5, 0.25, 0.25])


def test_cosine_annealing_rises_after_t_max():
    f = lrdsl.compile("CosineAnnealingDecay(1.0, 10, 0.1)")
    assert f(10) == pytest.approx(0.1, rel=1e-12)
    assert f(15) == pytest.approx(0.55, rel=1e-12)
    assert f(20) == 1.0
    # The angle uses s modulo 2 * T_max, exact at any step.
    assert f(20 * 2**57) == 1.0
    assert f(20 * 2**57 + 10) == pytest.approx(0.1, rel=1e-12)


def test_multistep_empty_milestones_is_constant():
    f = lrdsl.compile("MultiStepDecay(0.3, [])")
    np.testing.assert_array_equal(f(np.arange(5)), 0.3)


def test_step_decay_negative_gamma_flips_sign():
    f = compile_quietly("StepDecay(1.0, 2, -0.5)")
    assert [f(step) for step in range(6)] == [1.0, 1.0, -0.5, -0.5, 0.25, 0.25]


def test_inverse_time_negative_gamma_reaches_infinity():
    f = compile_quietly("InverseTimeDecay(1.0, -0.5)")
    assert f(2) == math.inf
    assert f(np.asarray([2]))[0] == math.inf
    assert f(4) == -1.0


def test_linear_lr_sequences():
    f = lrdsl.compile("LinearLR(0.1, 4, 0.5) >> StepDecay(0.1, 2, 0.5)")
    assert f.duration == math.inf
    assert [f(step) for step in range(8)] == pytest.approx(
        [0.05, 0.0625, 0.075, 0.0875, 0.1, 0.1, 0.05, 0.05], rel=1e-12
    )


# LinearWarmup: the inner schedule starts on its own clock after the warmup.


def test_linear_warmup_delays_inner_schedule():
    inner = lrdsl.compile("CosineAnnealingDecay(0.5, 7, 0.01)")
    f = lrdsl.compile("LinearWarmup(CosineAnnealingDecay(0.5, 7, 0.01), 5, 0.0, 0.5)")
    steps = np.arange(5, 100)
    np.testing.assert_array_equal(f(steps), inner(steps - 5))
    assert [f(step) for step in range(5)] == pytest.approx(
        [0.0, 0.1, 0.2, 0.3, 0.4], rel=1e-15
    )


def test_linear_warmup_ramp_is_paddles():
    f = lrdsl.compile("LinearWarmup(0.7, 3, 0.1, 0.4)")
    # (end_lr - start_lr) * s / W + start_lr; end_lr itself is never reached.
    expected = [0.1, 0.2, 0.30000000000000004, 0.7, 0.7]
    assert [f(step) for step in range(5)] == expected
    assert f(np.arange(5)).tolist() == expected


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("LinearWarmup(0.1, 5, 0.0, 0.1)", math.inf),
        ("LinearWarmup(StepDecay(0.1, 3), 5, 0.0, 0.1)", math.inf),
        ("LinearWarmup(OneCycleLR(0.1, 20), 5, 0.0, 0.1)", 25),
        ("LinearWarmup(cosine(0.1, 30), 5, 0.0, 0.1)", 35),
        ("LinearWarmup(StepDecay(0.1, 3) for 12, 5, 0.0, 0.1)", 17),
    ],
)
def test_linear_warmup_duration(text, duration):
    assert lrdsl.compile(text).duration == duration


def test_linear_warmup_of_one_cycle_sequences():
    f = lrdsl.compile("LinearWarmup(OneCycleLR(1.0, 10), 2, 0.0, 0.04) >> 0.5")
    one_cycle = lrdsl.compile("OneCycleLR(1.0, 10)")
    assert f(0) == 0.0
    assert f(1) == 0.02
    assert_close(f(np.arange(2, 12)), one_cycle(np.arange(10)))
    assert f(12) == 0.5


def test_linear_warmup_inner_global_reads_training_step():
    f = lrdsl.compile("LinearWarmup(global(StepDecay(1.0, 2, 0.5)), 3, 0.0, 0.3)")
    assert [f(step) for step in range(6)] == pytest.approx(
        [0.0, 0.1, 0.2, 0.5, 0.25, 0.25], rel=1e-15
    )


def test_linear_warmup_in_sequence_uses_local_clock():
    f = lrdsl.compile(
        "constant(1.0) for 4 >> LinearWarmup(StepDecay(1.0, 2, 0.5), 2, 0.0, 0.5)"
    )
    assert [f(step) for step in range(10)] == [
        1.0, 1.0, 1.0, 1.0, 0.0, 0.25, 1.0, 1.0, 0.5, 0.5,
    ]  # fmt: skip
    np.testing.assert_array_equal(
        f(np.arange(10)), [1.0, 1.0, 1.0, 1.0, 0.0, 0.25, 1.0, 1.0, 0.5, 0.5]
    )
    # Unsorted steps take the same values.
    shuffled = np.asarray([9, 0, 5, 7, 4, 8, 1, 6, 3, 2])
    np.testing.assert_array_equal(f(shuffled), f(np.arange(10))[shuffled])


def test_linear_warmup_of_lars_is_layerwise():
    f = lrdsl.compile(
        "LinearWarmup(lars(0.1, coeff=1.0, weight_decay=1.0), 2, 0.0, 0.1)"
    )
    local = f.local_lr(np.arange(4), [1.0, 3.0], [1.0, 1.0])
    assert f.is_layerwise
    assert local.shape == (4, 2)
    # The ramp is outside lars and is not scaled; the inner rate is.
    np.testing.assert_allclose(local[:2], [[0.0, 0.0], [0.05, 0.05]])
    np.testing.assert_allclose(local[2:], [[0.05, 0.075], [0.05, 0.075]])


# Durations and the two evaluation paths.

PADDLE2_TEXTS = [
    "NoamDecay(512, 4000)",
    "ExponentialDecay(0.1, 0.999)",
    "NaturalExpDecay(0.1, 0.001)",
    "InverseTimeDecay(0.1, 0.01)",
    "PolynomialDecay(0.1, 100)",
    "PolynomialDecay(0.1, 7, 0.001, 0.5, true)",
    "PiecewiseDecay([3, 6, 9], [0.1, 0.2, 0.3, 0.4])",
    "CosineAnnealingDecay(0.1, 17, 0.001)",
    "LinearWarmup(0.1, 10, 0.0, 0.1)",
    "LinearWarmup(PolynomialDecay(0.1, 20), 10, 0.0, 0.1)",
    "StepDecay(0.1, 30)",
    "MultiStepDecay(0.1, [30, 60, 90])",
    "LinearLR(0.1, 50)",
    "OneCycleLR(0.1, 100)",
    'OneCycleLR(0.1, 100, three_phase=true, anneal_strategy="linear")',
    "CyclicLR(0.01, 0.1, 20)",
    'CyclicLR(0.01, 0.1, 20, 30, "triangular2")',
    'CyclicLR(0.01, 0.1, 20, mode="exp_range", exp_gamma=0.999)',
    "CosineAnnealingWarmRestarts(0.1, 10)",
    "CosineAnnealingWarmRestarts(0.1, 10, 2, 0.001)",
]

FINITE = {"LinearLR(0.1, 50)": 50, "OneCycleLR(0.1, 100)": 100}
FINITE['OneCycleLR(0.1, 100, three_phase=true, anneal_strategy="linear")'] = 100


@pytest.mark.parametrize("text", PADDLE2_TEXTS)
def test_duration(text):
    assert lrdsl.compile(text).duration == FINITE.get(text, math.inf)


@pytest.mark.parametrize("text", PADDLE2_TEXTS)
def test_scalar_equals_vector(text):
    f = lrdsl.compile(text)
    steps = [*range(60), 999, 10**6, 2**40 + 3, 2**53 + 1, 2**62 - 1, 2**62]
    vector = f(np.asarray(steps))
    for step, value in zip(steps, vector, strict=True):
        scalar = f(step)
        assert isinstance(scalar, float)
        assert scalar == pytest.approx(value, rel=1e-12, abs=1e-15), step


@pytest.mark.parametrize("text", PADDLE2_TEXTS)
def test_values_are_finite(text):
    f = lrdsl.compile(text)
    steps = np.concatenate([np.arange(5000), [10**9, 2**53 + 1, 2**62]])
    assert np.all(np.isfinite(f(steps)))


# Errors: Paddle's constructor checks, written as math.


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("NoamDecay(0, 10)", "0 < d_model"),
        ("NoamDecay(-64, 10)", "0 < d_model"),
        ("NoamDecay(64, 0)", "0 < warmup_steps"),
        ("NoamDecay(64, 10, -1.0)", "0 <= learning_rate"),
        ("ExponentialDecay(0.1, 1.0)", "0 < gamma < 1"),
        ("ExponentialDecay(0.1, 0.0)", "0 < gamma < 1"),
        ("ExponentialDecay(-0.1, 0.5)", "0 <= learning_rate"),
        ("ExponentialDecay(0.1, 10, 0.5)", "takes at most 2 arguments"),
        ("NaturalExpDecay(0.1, 0.0)", "0 < gamma"),
        ("InverseTimeDecay(-0.1, 0.5)", "0 <= learning_rate"),
        ("PolynomialDecay(0.1, 0)", "0 < decay_steps"),
        ("PolynomialDecay(0.1, 2.5)", "whole number"),
        ("PolynomialDecay(0.1, 10, power=0.0)", "0 < power"),
        ("PolynomialDecay(0.1, 10, end_learning_rate=0.0)", "end_learning_rate"),
        ("PiecewiseDecay([], [0.1])", "len(boundaries) >= 1"),
        ("PiecewiseDecay([3, 6], [0.1, 0.2])", "len(values) >= len(boundaries) + 1"),
        ("CosineAnnealingDecay(0.1, 0)", "0 < T_max"),
        ("CosineAnnealingDecay(-0.1, 10)", "0 <= learning_rate"),
        ("LinearWarmup(0.1, 0, 0.0, 0.1)", "0 < warmup_steps"),
        ("LinearWarmup(0.1, 5, 0.1, 0.1)", "start_lr < end_lr"),
        ("LinearWarmup(0.1, 5, 0.2, 0.1)", "start_lr < end_lr"),
        ("LinearWarmup(0.1, 5, -0.1, 0.1)", "0 <= start_lr"),
        ('LinearWarmup("cos", 5, 0.0, 0.1)', "expected a schedule"),
        ("StepDecay(0.1, 0)", "0 < step_size"),
        ("StepDecay(0.1, 3, 1.0)", "gamma < 1"),
        ("MultiStepDecay(0.1, [3, 3])", "milestones[i] < milestones[i + 1]"),
        ("MultiStepDecay(0.1, [5, 3])", "milestones[i] < milestones[i + 1]"),
        ("MultiStepDecay(0.1, [3], 1.5)", "gamma < 1"),
        ("LinearLR(0.1, 0)", "0 < total_steps"),
        ("LinearLR(0.1, 5, start_factor=0.0)", "0 < start_factor <= 1"),
        ("LinearLR(0.1, 5, start_factor=1.5)", "0 < start_factor <= 1"),
        ("LinearLR(0.1, 5, end_factor=-0.1)", "0 <= end_factor <= 1"),
        ("LinearLR(0.1, 5, end_factor=1.1)", "0 <= end_factor <= 1"),
        ("OneCycleLR(0.1, 0)", "0 < total_steps"),
        ("OneCycleLR(-0.1, 10)", "0 <= max_learning_rate"),
        ("OneCycleLR(0.1, 10, divide_factor=0.0)", "0 < divide_factor"),
        ("OneCycleLR(0.1, 10, end_learning_rate=-1e-4)", "0 <= end_learning_rate"),
        ("OneCycleLR(0.1, 10, phase_pct=1.5)", "0 <= phase_pct <= 1"),
        ("OneCycleLR(0.1, 10, phase_pct=-0.1)", "0 <= phase_pct <= 1"),
        (
            "OneCycleLR(0.1, 10, phase_pct=0.5, three_phase=true)",
            "phase_pct < 0.5 (when three_phase=true)",
        ),
        ("OneCycleLR(0.1, 10, phase_pct=0.1)", "phase_pct * total_steps != 1"),
        ("OneCycleLR(0.1, 2, phase_pct=0.5)", "phase_pct * total_steps != 1"),
        ('OneCycleLR(0.1, 10, anneal_strategy="cosine")', "expected one of"),
        ("CyclicLR(-0.1, 1.0, 10)", "0 <= base_learning_rate"),
        ("CyclicLR(0.1, -1.0, 10)", "0 <= max_learning_rate"),
        ("CyclicLR(0.1, 1.0, 0)", "0 < step_size_up"),
        ("CyclicLR(0.1, 1.0, 10, 0)", "0 < step_size_down"),
        (
            f"CyclicLR(0.1, 1.0, {2**61}, {2**61 + 1})",
            "step_size_up + step_size_down <= 2**62",
        ),
        (
            f"CyclicLR(0.1, 1.0, {2**61 + 1})",
            "step_size_up + step_size_down <= 2**62",
        ),
        ('CyclicLR(0.1, 1.0, 10, mode="exp")', "expected one of"),
        ("CyclicLR(0.1, 1.0, 10, scale_fn=1)", "scale_fn"),
        ('CyclicLR(0.1, 1.0, 10, scale_mode="cycle")', "scale_mode"),
        ("CosineAnnealingWarmRestarts(0.1, 0)", "0 < T_0"),
        ("CosineAnnealingWarmRestarts(0.1, 10, 0)", "1 <= T_mult"),
        ("CosineAnnealingWarmRestarts(0.1, 10, 1.5)", "whole number"),
        ("CosineAnnealingWarmRestarts(0.1, 10ep)", "needs steps_per_epoch"),
        ("NoamDecay(64, 10) >> 0.1", "has no end"),
        ("noamdecay(64, 10)", "NoamDecay"),
    ],
)
def test_rejects(text, fragment):
    with pytest.raises(lrdsl.LrdslError) as caught:
        lrdsl.compile(text)
    assert fragment in str(caught.value)


def test_rule_error_shows_value_and_rule():
    with pytest.raises(lrdsl.ArgumentError) as caught:
        lrdsl.compile("OneCycleLR(0.1, 100, phase_pct=1.2)")
    error = caught.value
    assert isinstance(error, ValueError)
    assert "OneCycleLR: phase_pct=1.2 is invalid; expected 0 <= phase_pct <= 1" in str(
        error
    )
    assert error.span.column == 32


def test_units_on_step_arguments():
    f = lrdsl.compile(
        "LinearWarmup(MultiStepDecay(0.1, [30%, 60%]), 1ep, 0.0, 0.1)",
        steps_per_epoch=10,
        total_steps=100,
    )
    assert f(9) == pytest.approx(0.09)
    assert f(10 + 29) == 0.1
    assert f(10 + 30) == pytest.approx(0.01)


# Warnings for legal but suspicious arguments.


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("PiecewiseDecay([6, 3], [1, 2, 3])", "not sorted in increasing"),
        ("PiecewiseDecay([0, 3], [1, 2, 3])", "values[0] is never used"),
        ("PiecewiseDecay([3], [1, 2, 3])", "are never used"),
        ("InverseTimeDecay(0.1, -0.5)", "gamma < 0"),
        ("StepDecay(0.1, 3, -0.5)", "flips the sign"),
        ("MultiStepDecay(0.1, [3], -0.5)", "flips the sign"),
    ],
)
def test_suspicious_arguments_warn(text, fragment):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schedule = lrdsl.compile(text)
    assert len(caught) == 1
    assert fragment in str(caught[0].message)
    assert schedule.warnings == [caught[0].message]


@pytest.mark.parametrize("text", PADDLE2_TEXTS)
def test_ordinary_arguments_do_not_warn(text):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lrdsl.compile(text)
    assert caught == []


def test_cosine_annealing_half_period_at_step_limit():
    # 2 * T_max does not fit in int64; the array path must not overflow.
    f = lrdsl.compile(f"CosineAnnealingDecay(1.0, {2**62})")
    steps = np.array([0, 2**61, 2**62])
    np.testing.assert_allclose(f(steps), [1.0, 0.5, 0.0], atol=1e-15)
    assert f(2**62) == f(steps)[2]
