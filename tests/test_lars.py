"""LARS: per-layer rates of ``lars`` and ``append_LARS`` against Paddle's."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import lrdsl
from lrdsl import lars_momentum_update
from lrdsl._registry import REGISTRY

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "paddle_vectors.json").read_text()
)

MOMENTUM = [record for record in VECTORS["lars"] if record["source"] == "lars_momentum"]
(APPEND_LARS,) = [
    record
    for record in VECTORS["lars"]
    if record["source"] == "lars_append_LARS_reference"
]


def lars_text(params):
    return (
        f"lars({params['lr']!r}, coeff={params['coeff']!r}, "
        f"weight_decay={params['wd']!r}, epsilon={params['eps']!r})"
    )


def expected_lars(lr, param_norm, grad_norm, coeff, weight_decay, epsilon):
    """Paddle's lars_momentum local rate, written out per layer."""
    if weight_decay > 0 and param_norm > 0 and grad_norm > 0:
        return (
            lr * coeff * param_norm / (grad_norm + weight_decay * param_norm + epsilon)
        )
    return lr


# Paddle's LarsMomentumOptimizer records.


@pytest.mark.parametrize("record", MOMENTUM, ids=[r["name"] for r in MOMENTUM])
def test_local_lr_matches_lars_momentum(record):
    params = record["params"]
    assert params["rescale"] == 1.0
    f = lrdsl.compile(lars_text(params))
    for iteration in record["steps"]:
        local = f.local_lr(0, iteration["param_norm"], iteration["grad_norm"])
        assert isinstance(local, float)
        assert local == pytest.approx(iteration["local_lr_formula"], rel=1e-9)


@pytest.mark.parametrize("record", MOMENTUM, ids=[r["name"] for r in MOMENTUM])
def test_local_lr_all_iterations_as_layers(record):
    f = lrdsl.compile(lars_text(record["params"]))
    param_norms = [iteration["param_norm"] for iteration in record["steps"]]
    grad_norms = [iteration["grad_norm"] for iteration in record["steps"]]
    expected = [iteration["local_lr_formula"] for iteration in record["steps"]]

    local = f.local_lr(np.arange(3), param_norms, grad_norms)
    assert local.shape == (3, len(expected))
    for row in local:
        np.testing.assert_allclose(row, expected, rtol=1e-9)


@pytest.mark.parametrize("record", MOMENTUM, ids=[r["name"] for r in MOMENTUM])
def test_momentum_update_matches_paddle(record):
    params = record["params"]
    param = np.asarray(record["p0"])
    grad = np.asarray(record["grad"])
    velocity = np.zeros_like(param)
    for iteration in record["steps"]:
        param, velocity = lars_momentum_update(
            param,
            grad,
            velocity,
            lr=params["lr"],
            momentum=params["mu"],
            coeff=params["coeff"],
            weight_decay=params["wd"],
            epsilon=params["eps"],
            rescale_grad=params["rescale"],
        )
        np.testing.assert_allclose(
            param, iteration["param_after_formula"], rtol=1e-12, atol=1e-15
        )
        # Paddle updates in float32.
        np.testing.assert_allclose(
            param, iteration["param_after_paddle"], rtol=1e-6, atol=1e-7
        )


# The older append_LARS formula.


def append_lars_norms():
    param = np.asarray(APPEND_LARS["p"])
    grad = np.asarray(APPEND_LARS["g"])
    return float(np.linalg.norm(param)), float(np.linalg.norm(grad))


APPEND_CASES = [case for case in APPEND_LARS["cases"] if case["local_lr"] != "nan"]


@pytest.mark.parametrize(
    "case",
    APPEND_CASES,
    ids=[
        f"wd={case['wd']}"
        + (f"-param_lr={case['param_lr']}" if "param_lr" in case else "")
        for case in APPEND_CASES
    ],
)
def test_append_lars_reference(case):
    # Paddle multiplies by the parameter's own learning-rate factor
    # (ParamAttr(learning_rate=...)). lrdsl has no per-parameter factor, so
    # the same value is written as a product with the layer-wise schedule.
    factor = case.get("param_lr", 1.0)
    f = lrdsl.compile(f"{factor!r} * append_LARS({case['lr']!r}, {case['wd']!r})")
    param_norm, grad_norm = append_lars_norms()
    local = f.local_lr(0, param_norm, grad_norm)
    assert local == pytest.approx(case["local_lr"], rel=1e-9)


def test_append_lars_zero_norms_give_nan():
    (case,) = [case for case in APPEND_LARS["cases"] if case["local_lr"] == "nan"]
    f = lrdsl.compile(f"append_LARS({case['lr']!r}, {case['wd']!r})")
    assert math.isnan(f.local_lr(0, 0.0, 0.0))
    local = f.local_lr(np.arange(2), [0.0, 1.0], [0.0, 1.0])
    assert np.isnan(local[:, 0]).all()
    assert np.isfinite(local[:, 1]).all()


def test_append_lars_zero_grad_without_decay_is_inf():
    f = lrdsl.compile("append_LARS(0.1, 0.0)")
    assert f.local_lr(0, 1.0, 0.0) == math.inf


def test_append_lars_formula():
    f = lrdsl.compile("append_LARS(exponential_decay(1.0, 1, 0.5), 0.1)")
    local = f.local_lr(np.arange(3), [1.0, 4.0], [2.0, 0.5])
    ratios = np.asarray([1.0 / (2.0 + 0.1), 4.0 / (0.5 + 0.4)])
    np.testing.assert_allclose(local, np.outer([1.0, 0.5, 0.25], ratios), rtol=1e-15)


# Paddle's fallback.


@pytest.mark.parametrize(
    ("text", "param_norm", "grad_norm"),
    [
        ("lars(0.1, weight_decay=0.0)", 1.5, 2.5),
        ("lars(0.1, weight_decay=-0.1)", 1.5, 2.5),
        ("lars(0.1)", 0.0, 2.5),
        ("lars(0.1)", 1.5, 0.0),
        ("lars(0.1)", 0.0, 0.0),
        ("lars(0.1, epsilon=0.5)", 0.0, 0.0),
    ],
)
def test_lars_falls_back_to_global_rate(text, param_norm, grad_norm):
    f = lrdsl.compile(text)
    assert f.local_lr(7, param_norm, grad_norm) == 0.1
    np.testing.assert_array_equal(
        f.local_lr(np.arange(3), [param_norm] * 2, [grad_norm] * 2),
        np.full((3, 2), 0.1),
    )


def test_lars_never_nan_for_finite_norms():
    norms = np.asarray([0.0, 1e-300, 1e-10, 1.0, 1e10, 1e300])
    param_norm, grad_norm = (grid.reshape(-1) for grid in np.meshgrid(norms, norms))
    for text in ("lars(0.1)", "lars(0.1, 1.0, 1e-300)", "lars(0.1, 0.01, 1.0, 1e-8)"):
        local = lrdsl.compile(text).local_lr(np.arange(2), param_norm, grad_norm)
        assert np.isfinite(local).all(), text


def test_lars_formula_per_layer():
    f = lrdsl.compile("lars(0.2, coeff=0.01, weight_decay=0.1, epsilon=0.5)")
    param_norms = [3.0, 0.0, 2.0]
    grad_norms = [1.0, 1.0, 0.0]
    expected = [
        expected_lars(0.2, w, g, 0.01, 0.1, 0.5)
        for w, g in zip(param_norms, grad_norms, strict=True)
    ]
    np.testing.assert_allclose(
        f.local_lr(5, param_norms, grad_norms), expected, rtol=1e-15
    )


# Shapes.


def test_scalar_step_scalar_norms_give_float():
    f = lrdsl.compile("lars(0.1)")
    local = f.local_lr(3, 1.0, 2.0)
    assert isinstance(local, float)
    assert local == pytest.approx(expected_lars(0.1, 1.0, 2.0, 0.001, 0.0005, 0.0))


@pytest.mark.parametrize(
    ("steps", "param_norm", "grad_norm", "shape"),
    [
        (np.arange(5), [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], (5, 3)),
        (np.arange(5), [1.0, 2.0, 3.0], 1.0, (5, 3)),
        (np.arange(5), 1.0, 1.0, (5,)),
        (4, [1.0, 2.0], [3.0, 4.0], (2,)),
        (np.arange(6).reshape(2, 3), [1.0, 2.0], [3.0, 4.0], (2, 3, 2)),
        (np.arange(0), [1.0, 2.0], [3.0, 4.0], (0, 2)),
    ],
)
def test_local_lr_broadcasts_steps_by_layers(steps, param_norm, grad_norm, shape):
    f = lrdsl.compile("lars(exponential_decay(0.1, 2, 0.5))")
    local = f.local_lr(steps, param_norm, grad_norm)
    assert local.shape == shape
    global_rate = np.asarray(f(np.asarray(steps)))
    layer_shape = shape[global_rate.ndim :]
    param = np.broadcast_to(param_norm, layer_shape).reshape(-1)
    grad = np.broadcast_to(grad_norm, layer_shape).reshape(-1)
    ratio = [
        expected_lars(1.0, w, g, 0.001, 0.0005, 0.0)
        for w, g in zip(param, grad, strict=True)
    ]
    expected = np.multiply.outer(global_rate, np.reshape(ratio, layer_shape))
    np.testing.assert_allclose(local, expected, rtol=1e-14)


def test_local_lr_unsorted_steps():
    f = lrdsl.compile("warmup(3, 0.1) >> lars(exponential_decay(0.1, 1, 0.5))")
    steps = np.asarray([9, 0, 4, 2, 3, 7, 1])
    norms = ([1.0, 2.0], [0.5, 3.0])
    unsorted = f.local_lr(steps, *norms)
    ordered = f.local_lr(np.sort(steps), *norms)
    np.testing.assert_array_equal(unsorted, ordered[np.argsort(np.argsort(steps))])


# Layer-wise schedules inside larger expressions.


def test_lars_after_warmup():
    f = lrdsl.compile("warmup(2, 0.1) >> lars(exponential_decay(0.1, 1, 0.5))")
    param_norms = [1.0, 3.0]
    grad_norms = [2.0, 0.5]
    ratios = [
        expected_lars(1.0, w, g, 0.001, 0.0005, 0.0)
        for w, g in zip(param_norms, grad_norms, strict=True)
    ]
    global_rates = [0.0, 0.05, 0.1, 0.05, 0.025]

    assert [f(step) for step in range(5)] == global_rates
    np.testing.assert_array_equal(f(np.arange(5)), global_rates)
    local = f.local_lr(np.arange(5), param_norms, grad_norms)
    # The warmup is outside lars, so it is not scaled.
    np.testing.assert_array_equal(local[:2], [[0.0, 0.0], [0.05, 0.05]])
    np.testing.assert_allclose(
        local[2:], np.outer(global_rates[2:], ratios), rtol=1e-14
    )
    for step in range(5):
        np.testing.assert_array_equal(
            f.local_lr(step, param_norms, grad_norms), local[step]
        )


def test_lars_in_arithmetic():
    f = lrdsl.compile("0.5 * lars(noam_decay(64, 10), coeff=0.01) + 0.001")
    plain = lrdsl.compile("noam_decay(64, 10)")
    steps = np.arange(30)
    ratio = expected_lars(1.0, 2.0, 1.0, 0.01, 0.0005, 0.0)

    np.testing.assert_allclose(f(steps), 0.5 * plain(steps) + 0.001, rtol=1e-15)
    local = f.local_lr(steps, [2.0], [1.0])
    np.testing.assert_allclose(
        local[:, 0], 0.5 * plain(steps) * ratio + 0.001, rtol=1e-14
    )


def test_two_lars_nodes_in_one_schedule():
    f = lrdsl.compile("lars(0.1, coeff=1.0) + append_LARS(0.2, 0.5)")
    local = f.local_lr(0, 2.0, 1.0)
    expected = expected_lars(0.1, 2.0, 1.0, 1.0, 0.0005, 0.0) + 0.2 * 2.0 / (
        1.0 + 0.5 * 2.0
    )
    assert local == pytest.approx(expected, rel=1e-14)


def test_lars_wraps_a_sequence():
    f = lrdsl.compile(
        "lars(warmup(4, 0.1) >> constant(0.05), coeff=1.0, weight_decay=1.0)"
    )
    # Both norms 1: the ratio is 1 / (1 + 1 * 1) = 0.5 at every step.
    local = f.local_lr(np.arange(6), [1.0], [1.0])[:, 0]
    np.testing.assert_allclose(local, [0.0, 0.0125, 0.025, 0.0375, 0.025, 0.025])


def test_duration_follows_inner():
    assert lrdsl.compile("lars(warmup(5, 0.1))").duration == 5
    assert lrdsl.compile("append_LARS(warmup(5, 0.1), 0.1)").duration == 5
    assert lrdsl.compile("lars(0.1)").duration == math.inf
    f = lrdsl.compile("lars(warmup(2, 0.1)) >> 0.01")
    assert [f(step) for step in range(4)] == [0.0, 0.05, 0.01, 0.01]


# The unscaled rate and the layer-wise flag.


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("lars(exponential_decay(0.1, 3, 0.9))", "exponential_decay(0.1, 3, 0.9)"),
        ("lars(0.1, 0.01, 0.1, 0.5)", "0.1"),
        ("append_LARS(cosine_decay(0.1, 4, 3), 0.1)", "cosine_decay(0.1, 4, 3)"),
    ],
)
def test_call_returns_unscaled_rate(text, inner):
    f = lrdsl.compile(text)
    plain = lrdsl.compile(inner)
    steps = np.arange(40)
    np.testing.assert_array_equal(f(steps), plain(steps))
    assert [f(step) for step in range(40)] == [plain(step) for step in range(40)]


@pytest.mark.parametrize(
    ("text", "layerwise"),
    [
        ("lars(0.1)", True),
        ("append_LARS(0.1, 0.1)", True),
        ("warmup(2, 0.1) >> lars(0.1)", True),
        ("0.5 * append_LARS(noam_decay(64, 10), 0.1)", True),
        ("min(lars(0.1), 0.05)", True),
        ("global(lars(0.1))", True),
        ("noam_decay(64, 10)", False),
        ("warmup(2, 0.1) >> 0.1", False),
    ],
)
def test_is_layerwise(text, layerwise):
    assert lrdsl.compile(text).is_layerwise is layerwise


def test_plain_schedule_local_lr_is_global_rate():
    f = lrdsl.compile("exponential_decay(0.1, 1, 0.5)")
    np.testing.assert_array_equal(
        f.local_lr(np.arange(3), [1.0, 2.0], [3.0, 4.0]),
        np.repeat(f(np.arange(3))[:, None], 2, axis=1),
    )


# Signatures and errors.


def test_signatures():
    assert (
        REGISTRY["lars"].signature()
        == "lars(x, coeff=0.001, weight_decay=0.0005, epsilon=0.0)"
    )
    assert (
        REGISTRY["append_LARS"].signature()
        == "append_LARS(learning_rate, weight_decay)"
    )
    assert REGISTRY["lars"].family == "lars"
    assert REGISTRY["append_LARS"].family == "lars"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("lars(0.1, epsilon=-1e-8)", "0 <= epsilon"),
        ("lars()", "missing 'x'"),
        ("append_LARS(0.1)", "missing 'weight_decay'"),
        ("lars(0.1, weight_decay=1ep)", "takes no unit"),
        ("lars(0.1) >> 0.1", "has no end"),
    ],
)
def test_rejects(text, fragment):
    with pytest.raises(lrdsl.LrdslError) as caught:
        lrdsl.compile(text, steps_per_epoch=10)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("param_norm", "grad_norm", "fragment"),
    [
        (-1.0, 1.0, "invalid param_norm -1.0"),
        (1.0, math.nan, "invalid grad_norm nan"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], "do not broadcast"),
    ],
)
def test_local_lr_rejects_bad_norms(param_norm, grad_norm, fragment):
    f = lrdsl.compile("lars(0.1)")
    with pytest.raises(lrdsl.ArgumentError) as caught:
        f.local_lr(0, param_norm, grad_norm)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"grad": None}, "expected real numbers"),
        ({"grad": np.array([1 + 1j, 0, 0])}, "expected real numbers"),
        ({"grad": np.array([np.nan, 0, 0])}, "NaN or infinity"),
        ({"grad": np.zeros(2)}, "must have one shape"),
        ({"lr": True}, "lr must be a real number"),
        ({"lr": "0.1"}, "lr must be a real number"),
        ({"momentum": float("inf")}, "expected finite"),
        ({"epsilon": -1.0}, "0 <= epsilon"),
    ],
    ids=["none", "complex", "nan", "shape", "bool lr", "text lr", "inf", "epsilon"],
)
def test_momentum_update_rejects_bad_input(arguments, fragment):
    call = {
        "param": np.ones(3),
        "grad": np.ones(3),
        "velocity": np.zeros(3),
        "lr": 0.1,
        "momentum": 0.9,
    }
    call.update(arguments)
    param, grad, velocity = call.pop("param"), call.pop("grad"), call.pop("velocity")
    with pytest.raises(lrdsl.ArgumentError, match=fragment):
        lars_momentum_update(param, grad, velocity, **call)


def test_momentum_update_huge_values_stay_finite():
    param, velocity = lars_momentum_update(
        np.array([1e200, 1e200]),
        np.array([1e200, 0.0]),
        np.zeros(2),
        lr=0.1,
        momentum=0.9,
    )
    assert np.isfinite(param).all()
    assert np.isfinite(velocity).all()
