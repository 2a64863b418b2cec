"""The migration table: every row of docs/migration.md against its source.

Each case compiles the lrdsl text of one row, with the row's parameters bound
as variables, and compares it at every step of a range with what the source
framework gives at that step:

* Paddle classic and Paddle 2.x: the values Paddle produced
  (``tests/data/paddle_vectors.json``), or Paddle's formula restated here
  where the reference file has no record;
* PyTorch: the real ``torch.optim.lr_scheduler`` classes, stepped here
  (skipped when torch is not installed);
* optax and Hugging Face transformers: their formulas restated in plain
  Python, because neither is a test dependency.

Step k of lrdsl is the k-th optimizer update: PyTorch's ``last_epoch == k``,
optax's ``count == k``, Paddle's k-th executor run or ``last_epoch == k``.

A text may contain ``{name}`` where the row substitutes a translated
schedule (variables hold numbers, lists, strings and bools, not schedules).
The docs show such a text with the bare name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import lrdsl

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "migration.md"
VECTORS = json.loads((HERE / "data" / "paddle_vectors.json").read_text())["vectors"]


@dataclass(frozen=True)
class Case:
    """One source scheduler, its lrdsl texts and how to get its values.

    ``reference(variables, steps)`` returns the source's value at each step.
    A value passes when ``|lrdsl - source| <= rel * |source| + abs``.
    """

    id: str
    texts: tuple[str, ...]
    variables: dict
    reference: Callable[[dict, range], list[float]]
    steps: range
    rel: float = 1e-12
    abs: float = 0.0
    inserts: dict = field(default_factory=dict)


def render(text: str, inserts: dict) -> str:
    """Put each inserted schedule text, in parentheses, at its ``{name}``."""
    return re.sub(r"\{(\w+)\}", lambda m: f"({inserts[m.group(1)]})", text)


def doc_form(text: str) -> str:
    """Write a text as the docs show it: ``{name}`` becomes ``name``."""
    return re.sub(r"\{(\w+)\}", r"\1", text)


def assert_values(text, variables, steps, expected, rel, abs_):
    """Compare a compiled text with expected values, vector and scalar path."""
    f = lrdsl.compile(text, variables=variables)
    steps = np.asarray(steps, dtype=np.int64)
    expected = np.asarray(expected, dtype=np.float64)
    allowed = rel * np.abs(expected) + abs_

    vector = f(steps)
    bad = np.flatnonzero(~(np.abs(vector - expected) <= allowed))
    assert bad.size == 0, (
        f"{text} with {variables}: at steps {steps[bad][:5].tolist()} "
        f"lrdsl gives {vector[bad][:5].tolist()}, "
        f"the source {expected[bad][:5].tolist()}"
    )

    scalar = np.array([f(int(step)) for step in steps])
    bad = np.flatnonzero(~(np.abs(scalar - expected) <= allowed))
    assert bad.size == 0, (
        f"{text} with {variables}, scalar path: at steps "
        f"{steps[bad][:5].tolist()} lrdsl gives {scalar[bad][:5].tolist()}, "
        f"the source {expected[bad][:5].tolist()}"
    )


def check_case(case: Case) -> None:
    expected = case.reference(case.variables, case.steps)
    for text in case.texts:
        assert_values(
            render(text, case.inserts),
            case.variables,
            case.steps,
            expected,
            case.rel,
            case.abs,
        )


# Paddle: records of the reference file.


def dsl_literal(value):
    """Write a reference-file parameter as DSL text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(dsl_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return inner_call(value)
    return repr(value)


def inner_call(params):
    """Write a nested scheduler of a record (``fn`` or ``class``) as DSL text."""
    params = dict(params)
    if "fn" in params:
        name = params.pop("fn")
    else:
        # Paddle 2.x records give the inner scheduler's base rate as base_lr,
        # which is its learning_rate argument (PiecewiseDecay has none).
        name = params.pop("class")
        base_lr = params.pop("base_lr")
        if name != "PiecewiseDecay":
            params["learning_rate"] = base_lr
    arguments = ", ".join(f"{key}={dsl_literal(item)}" for key, item in params.items())
    return f"{name}({arguments})"


# Paddle's defaults, for records that leave parameters out.
PADDLE_DEFAULTS = {
    "noam_decay": {"learning_rate": 1.0},
    "exponential_decay": {"staircase": False},
    "natural_exp_decay": {"staircase": False},
    "inverse_time_decay": {"staircase": False},
    "polynomial_decay": {"end_learning_rate": 0.0001, "power": 1.0, "cycle": False},
    "NoamDecay": {"learning_rate": 1.0},
    "PolynomialDecay": {"end_lr": 0.0001, "power": 1.0, "cycle": False},
    "CosineAnnealingDecay": {"eta_min": 0.0},
    "StepDecay": {"gamma": 0.1},
    "MultiStepDecay": {"gamma": 0.1},
    "LinearLR": {"start_factor": 1.0 / 3, "end_factor": 1.0},
}


@dataclass(frozen=True)
class RecordRow:
    """A row checked against every reference record of one Paddle API.

    ``where`` selects the records the texts apply to, ``derive`` adds
    variables computed from the record's parameters.
    """

    id: str
    api: str
    sources: tuple[str, ...]
    texts: tuple[str, ...]
    where: Callable[[dict], bool] = lambda params: True
    derive: Callable[[dict], dict] = lambda params: {}
    rel: float = 1e-12
    abs: float = 0.0


def check_records(row: RecordRow) -> None:
    records = [
        record
        for record in VECTORS
        if record["source"] in row.sources and record["api"] == row.api
    ]
    params_list = [PADDLE_DEFAULTS.get(row.api, {}) | r["params"] for r in records]
    selected = [
        (record, params)
        for record, params in zip(records, params_list, strict=True)
        if row.where(params)
    ]
    assert selected, f"no reference record for {row.id}"

    for record, params in selected:
        variables = {k: v for k, v in params.items() if not isinstance(v, dict)}
        variables |= row.derive(params)
        for text in row.texts:
            inserts = {
                name: dsl_literal(params[name])
                for name in re.findall(r"\{(\w+)\}", text)
            }
            assert_values(
                render(text, inserts),
                variables,
                record["steps"],
                record["values"],
                row.rel,
                row.abs,
            )


CLASSIC = ("legacy_static",)
# Paddle computes the classic schedules in float32.
FLOAT32 = {"rel": 1e-6, "abs": 1e-7}

PADDLE_CLASSIC_ROWS = [
    RecordRow(
        "noam_decay",
        "noam_decay",
        CLASSIC,
        ("noam_decay(d_model, warmup_steps, learning_rate)",),
        **FLOAT32,
    ),
    RecordRow(
        "exponential_decay",
        "exponential_decay",
        CLASSIC,
        (
            "exponential_decay(learning_rate, decay_steps, decay_rate, "
            "staircase=staircase)",
            "exponential(learning_rate, decay_rate, every=decay_steps, "
            "staircase=staircase)",
        ),
        **FLOAT32,
    ),
    RecordRow(
        "natural_exp_decay",
        "natural_exp_decay",
        CLASSIC,
        (
            "natural_exp_decay(learning_rate, decay_steps, decay_rate, "
            "staircase=staircase)",
            "exponential(learning_rate, gamma, every=decay_steps, staircase=staircase)",
        ),
        derive=lambda p: {"gamma": math.exp(-p["decay_rate"])},
        **FLOAT32,
    ),
    RecordRow(
        "inverse_time_decay",
        "inverse_time_decay",
        CLASSIC,
        (
            "inverse_time_decay(learning_rate, decay_steps, decay_rate, "
            "staircase=staircase)",
        ),
        **FLOAT32,
    ),
    RecordRow(
        "polynomial_decay",
        "polynomial_decay",
        CLASSIC,
        (
            "polynomial_decay(learning_rate, decay_steps, end_learning_rate, "
            "power, cycle)",
        ),
        **FLOAT32,
    ),
    RecordRow(
        "polynomial_decay-no-cycle",
        "polynomial_decay",
        CLASSIC,
        ("polynomial(learning_rate, end_learning_rate, decay_steps, power=power)",),
        where=lambda p: not p["cycle"],
        **FLOAT32,
    ),
    RecordRow(
        "piecewise_decay",
        "piecewise_decay",
        CLASSIC,
        ("piecewise_decay(boundaries, values)", "piecewise(boundaries, values)"),
        **FLOAT32,
    ),
    RecordRow(
        "cosine_decay",
        "cosine_decay",
        CLASSIC,
        ("cosine_decay(learning_rate, step_each_epoch, epochs)",),
        **FLOAT32,
    ),
    RecordRow(
        "linear_lr_warmup",
        "linear_lr_warmup",
        CLASSIC,
        (
            "linear_lr_warmup({learning_rate}, warmup_steps, start_lr, end_lr)",
            "warmup(warmup_steps, end_lr, start=start_lr) >> global({learning_rate})",
        ),
        **FLOAT32,
    ),
]


@pytest.mark.parametrize("row", PADDLE_CLASSIC_ROWS, ids=lambda row: row.id)
def test_paddle_classic(row):
    check_records(row)


def test_paddle_classic_covers_every_record():
    apis = {r["api"] for r in VECTORS if r["source"] == "legacy_static"}
    assert apis == {row.api for row in PADDLE_CLASSIC_ROWS}


def append_lars_reference(variables, param_norm, grad_norm):
    """Paddle 1.x ``append_LARS``: ``lr * ‖w‖ / (‖g‖ + weight_decay * ‖w‖)``."""
    weight_decay = variables["weight_decay"]
    return param_norm / (grad_norm + weight_decay * param_norm)


@pytest.mark.parametrize(
    "text, inner",
    [
        ("append_LARS(learning_rate, weight_decay)", "0.1"),
        ("append_LARS({learning_rate}, weight_decay)", "cosine_decay(0.1, 3, 5)"),
    ],
    ids=["number", "schedule"],
)
def test_append_lars(text, inner):
    variables = {"learning_rate": 0.1, "weight_decay": 5e-4}
    f = lrdsl.compile(render(text, {"learning_rate": inner}), variables=variables)
    rate = lrdsl.compile(inner)
    steps = np.arange(20)
    param_norm = np.array([1.5, 0.2, 3.0])
    grad_norm = np.array([2.4, 0.01, 0.5])

    local = f.local_lr(steps, param_norm, grad_norm)
    ratio = append_lars_reference(variables, param_norm, grad_norm)
    expected = rate(steps)[:, None] * ratio[None, :]
    np.testing.assert_allclose(local, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(f(steps), rate(steps))


# Paddle 2.x: records, and Paddle's formulas where the file has none. The
# restated OneCycleLR, CyclicLR and CosineAnnealingWarmRestarts gave the same
# floats as paddlepaddle 3.3.1 on every case below when last compared.

PADDLE2 = ("paddle2_class", "paddle2_class_epoch")

PADDLE2_RECORD_ROWS = [
    RecordRow(
        "NoamDecay",
        "NoamDecay",
        PADDLE2,
        (
            "NoamDecay(d_model, warmup_steps, learning_rate)",
            "inverse_sqrt(peak, warmup_steps)",
        ),
        derive=lambda p: {
            "peak": p["learning_rate"] / math.sqrt(p["d_model"] * p["warmup_steps"])
        },
    ),
    RecordRow(
        "ExponentialDecay",
        "ExponentialDecay",
        PADDLE2,
        ("ExponentialDecay(learning_rate, gamma)", "exponential(learning_rate, gamma)"),
    ),
    RecordRow(
        "NaturalExpDecay",
        "NaturalExpDecay",
        PADDLE2,
        (
            "NaturalExpDecay(learning_rate, gamma)",
            "natural_exp_decay(learning_rate, 1, gamma)",
        ),
    ),
    RecordRow(
        "InverseTimeDecay",
        "InverseTimeDecay",
        PADDLE2,
        (
            "InverseTimeDecay(learning_rate, gamma)",
            "inverse_time_decay(learning_rate, 1, gamma)",
        ),
    ),
    RecordRow(
        "PolynomialDecay",
        "PolynomialDecay",
        PADDLE2,
        (
            "PolynomialDecay(learning_rate, decay_steps, end_lr, power, cycle)",
            "polynomial_decay(learning_rate, decay_steps, end_lr, power, cycle)",
        ),
    ),
    RecordRow(
        "PolynomialDecay-no-cycle",
        "PolynomialDecay",
        PADDLE2,
        ("polynomial(learning_rate, end_lr, decay_steps, power=power)",),
        where=lambda p: not p["cycle"],
    ),
    RecordRow(
        "PiecewiseDecay",
        "PiecewiseDecay",
        PADDLE2,
        ("PiecewiseDecay(boundaries, values)", "piecewise(boundaries, values)"),
    ),
    RecordRow(
        "CosineAnnealingDecay",
        "CosineAnnealingDecay",
        PADDLE2,
        (
            "CosineAnnealingDecay(learning_rate, T_max, eta_min)",
            "repeat(cosine(learning_rate, T_max, end=eta_min) "
            ">> cosine(eta_min, T_max, end=learning_rate))",
        ),
    ),
    RecordRow(
        "LinearWarmup",
        "LinearWarmup",
        PADDLE2,
        (
            "LinearWarmup({learning_rate}, warmup_steps, start_lr, end_lr)",
            "warmup(warmup_steps, end_lr, start=start_lr) >> {learning_rate}",
        ),
    ),
    RecordRow(
        "StepDecay",
        "StepDecay",
        PADDLE2,
        (
            "StepDecay(learning_rate, step_size, gamma)",
            "step(learning_rate, step_size, gamma=gamma)",
        ),
    ),
    RecordRow(
        "MultiStepDecay",
        "MultiStepDecay",
        PADDLE2,
        (
            "MultiStepDecay(learning_rate, milestones, gamma)",
            "multistep(learning_rate, milestones, gamma=gamma)",
        ),
    ),
    RecordRow(
        "LinearLR",
        "LinearLR",
        PADDLE2,
        (
            "LinearLR(learning_rate, total_steps, start_factor, end_factor)",
            "linear(learning_rate * start_factor, learning_rate * end_factor, "
            "total_steps)",
        ),
    ),
]


# One record has a boundary at step 0, which Paddle accepts and lrdsl warns about.
@pytest.mark.filterwarnings("ignore::lrdsl.LrdslWarning")
@pytest.mark.parametrize("row", PADDLE2_RECORD_ROWS, ids=lambda row: row.id)
def test_paddle2(row):
    check_records(row)


def paddle_one_cycle(v, steps):
    """Paddle 2.x ``OneCycleLR.get_lr``, restated: phases end at real steps."""
    total = v["total_steps"]
    pct = v["phase_pct"]
    initial = v["max_learning_rate"] / v["divide_factor"]
    if v["three_phase"]:
        ends = [pct * total - 1, 2 * pct * total - 2, total - 1]
        levels = [initial, v["max_learning_rate"], initial, v["end_learning_rate"]]
    else:
        ends = [pct * total - 1, total - 1]
        levels = [initial, v["max_learning_rate"], v["end_learning_rate"]]

    def anneal(start, end, fraction):
        if v["anneal_strategy"] == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    values = []
    for k in steps:
        begin = 0.0
        for i, end in enumerate(ends):
            if k <= end or i == len(ends) - 1:
                values.append(
                    anneal(levels[i], levels[i + 1], (k - begin) / (end - begin))
                )
                break
            begin = end
    return values


def paddle_cyclic(v, steps):
    """Paddle 2.x ``CyclicLR.get_lr``, restated (``cycle`` counts from 1)."""
    up = float(v["step_size_up"])
    down = float(v.get("step_size_down", v["step_size_up"]))
    size = up + down
    up_fraction = up / size
    values = []
    for k in steps:
        cycle = 1 + k // size
        fraction = 1.0 + k / size - cycle
        if fraction <= up_fraction:
            height = fraction / up_fraction
        else:
            height = (1 - fraction) / (1 - up_fraction)
        scale = {
            "triangular": 1.0,
            "triangular2": 1 / (2.0 ** (cycle - 1)),
            "exp_range": v["exp_gamma"] ** k,
        }[v["mode"]]
        amplitude = v["max_learning_rate"] - v["base_learning_rate"]
        values.append(v["base_learning_rate"] + amplitude * height * scale)
    return values


def paddle_warm_restarts(v, steps):
    """Paddle 2.x ``CosineAnnealingWarmRestarts``, stepped as its step() does."""
    t_cur, t_i = 0, v["T_0"]
    values = []
    for _ in steps:
        cosine = 1 + math.cos(math.pi * t_cur / t_i)
        values.append(v["eta_min"] + (v["learning_rate"] - v["eta_min"]) * cosine / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur -= t_i
            t_i *= v["T_mult"]
    return values


PADDLE_ONE_CYCLE_TEXTS = (
    "OneCycleLR(max_learning_rate, total_steps, divide_factor, end_learning_rate, "
    "phase_pct, anneal_strategy, three_phase)",
    "one_cycle(max_learning_rate, total_steps, pct_start=phase_pct, "
    "div_factor=divide_factor, "
    "final_div_factor=max_learning_rate / divide_factor / end_learning_rate, "
    "anneal=anneal_strategy, three_phase=three_phase)",
)

PADDLE_CYCLIC_TEXTS = (
    "CyclicLR(base_learning_rate, max_learning_rate, step_size_up, mode=mode, "
    "exp_gamma=exp_gamma)",
    "cyclic(base_learning_rate, max_learning_rate, step_size_up, mode=mode, "
    "gamma=exp_gamma)",
)

PADDLE2_FORMULA_CASES = [
    Case(
        "OneCycleLR",
        PADDLE_ONE_CYCLE_TEXTS,
        {
            "max_learning_rate": 0.1,
            "total_steps": 100,
            "divide_factor": 25.0,
            "end_learning_rate": 0.0001,
            "phase_pct": 0.3,
            "anneal_strategy": "cos",
            "three_phase": False,
        },
        paddle_one_cycle,
        range(100),
    ),
    Case(
        "OneCycleLR-three-phase",
        PADDLE_ONE_CYCLE_TEXTS,
        {
            "max_learning_rate": 1.0,
            "total_steps": 41,
            "divide_factor": 10.0,
            "end_learning_rate": 0.001,
            "phase_pct": 0.25,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
        paddle_one_cycle,
        range(41),
    ),
    Case(
        "CyclicLR-triangular2",
        PADDLE_CYCLIC_TEXTS,
        {
            "base_learning_rate": 0.01,
            "max_learning_rate": 0.1,
            "step_size_up": 7,
            "mode": "triangular2",
            "exp_gamma": 1.0,
        },
        paddle_cyclic,
        range(100),
    ),
    Case(
        "CyclicLR-exp_range",
        PADDLE_CYCLIC_TEXTS,
        {
            "base_learning_rate": 0.01,
            "max_learning_rate": 0.1,
            "step_size_up": 5,
            "mode": "exp_range",
            "exp_gamma": 0.99,
        },
        paddle_cyclic,
        range(100),
    ),
    Case(
        "CyclicLR-asymmetric",
        (
            "CyclicLR(base_learning_rate, max_learning_rate, step_size_up, "
            "step_size_down, mode=mode)",
            "repeat(linear(base_learning_rate, max_learning_rate, step_size_up) "
            ">> linear(max_learning_rate, base_learning_rate, step_size_down))",
        ),
        {
            "base_learning_rate": 0.01,
            "max_learning_rate": 0.1,
            "step_size_up": 3,
            "step_size_down": 8,
            "mode": "triangular",
            "exp_gamma": 1.0,
        },
        paddle_cyclic,
        range(100),
    ),
    Case(
        "CosineAnnealingWarmRestarts",
        (
            "CosineAnnealingWarmRestarts(learning_rate, T_0, T_mult, eta_min)",
            "repeat(cosine(learning_rate, T_0, end=eta_min), mult=T_mult)",
        ),
        {"learning_rate": 0.1, "T_0": 5, "T_mult": 2, "eta_min": 0.001},
        paddle_warm_restarts,
        range(160),
    ),
]


@pytest.mark.parametrize("case", PADDLE2_FORMULA_CASES, ids=lambda case: case.id)
def test_paddle2_formula(case):
    check_case(case)


# PyTorch: the real schedulers, stepped.


def torch_rates(make):
    """Return a reference that steps the scheduler ``make`` builds.

    ``make(lr_scheduler, optimizer, **variables)`` builds the scheduler on an
    SGD optimizer whose learning rate is ``variables["lr"]`` (1.0 when
    absent). The rate of update k is ``get_last_lr()`` read while
    ``last_epoch == k``, before ``scheduler.step()``.
    """

    def reference(variables, steps):
        torch = pytest.importorskip("torch")
        from torch.optim import lr_scheduler

        parameter = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([parameter], lr=variables.get("lr", 1.0))
        scheduler = make(lr_scheduler, optimizer, **variables)
        rates = []
        for step in steps:
            # ChainedScheduler keeps no last_epoch of its own.
            assert getattr(scheduler, "last_epoch", step) == step
            rates.append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
        return rates

    return reference


def torch_lambda(lr_lambda):
    """Return a reference built from ``LambdaLR`` with ``lr_lambda(k, **v)``."""

    def make(sched, optimizer, **v):
        return sched.LambdaLR(optimizer, lambda k: lr_lambda(k, **v))

    return torch_rates(make)


ONE_CYCLE_TEXT = (
    "one_cycle(max_lr, total_steps, pct_start=pct_start, div_factor=div_factor, "
    "final_div_factor=final_div_factor, anneal=anneal_strategy, "
    "three_phase=three_phase)"
)


def make_one_cycle(sched, optimizer, lr, **v):
    # OneCycleLR and CyclicLR set the rate themselves, and the momentum
    # cycling they do by default is not a learning rate.
    return sched.OneCycleLR(optimizer, cycle_momentum=False, **v)


CYCLIC_TEXT = "cyclic(base_lr, max_lr, step_size_up, mode=mode, gamma=gamma)"


def make_cyclic(sched, optimizer, **v):
    return sched.CyclicLR(optimizer, cycle_momentum=False, **v)


def make_sequential(sched, optimizer, lr, start_factor, total_iters, milestone, **v):
    ramp = sched.LinearLR(optimizer, start_factor=start_factor, total_iters=total_iters)
    cosine = sched.CosineAnnealingLR(optimizer, T_max=v["T_max"], eta_min=v["eta_min"])
    return sched.SequentialLR(optimizer, [ramp, cosine], milestones=[milestone])


# PyTorch's CosineAnnealingLR is a recursion, lr(k) = lr(k - 1) * ratio(k),
# so its rounding errors add up step by step. The absolute error stays near
# 1e-15 * lr, but close to eta_min = 0 that is a large relative error: over
# T_max = 50000 steps it reaches 4.5e-12 (measured with torch 2.13.0). The
# long case allows an absolute 1e-13 * lr on top of the relative 1e-12.
RECURSIVE_COSINE = 1e-13

TORCH_CASES = [
    Case(
        "StepLR",
        ("step(lr, step_size, gamma=gamma)",),
        {"lr": 0.1, "step_size": 30, "gamma": 0.1},
        torch_rates(lambda s, o, lr, **v: s.StepLR(o, **v)),
        range(200),
    ),
    Case(
        "MultiStepLR",
        ("multistep(lr, milestones, gamma=gamma)",),
        {"lr": 0.1, "milestones": [30, 80, 80], "gamma": 0.5},
        torch_rates(lambda s, o, lr, **v: s.MultiStepLR(o, **v)),
        range(120),
    ),
    Case(
        "ExponentialLR",
        ("exponential(lr, gamma)",),
        {"lr": 0.1, "gamma": 0.999},
        torch_rates(lambda s, o, lr, **v: s.ExponentialLR(o, **v)),
        range(5000),
    ),
    Case(
        "CosineAnnealingLR",
        ("cosine(lr, T_max, end=eta_min)",),
        {"lr": 0.1, "T_max": 1000, "eta_min": 1e-5},
        torch_rates(lambda s, o, lr, **v: s.CosineAnnealingLR(o, **v)),
        range(1001),
    ),
    Case(
        "CosineAnnealingLR-long",
        ("cosine(lr, T_max, end=eta_min)",),
        {"lr": 0.1, "T_max": 50000, "eta_min": 0.0},
        torch_rates(lambda s, o, lr, **v: s.CosineAnnealingLR(o, **v)),
        range(50001),
        abs=RECURSIVE_COSINE * 0.1,
    ),
    Case(
        "CosineAnnealingLR-periodic",
        ("repeat(cosine(lr, T_max, end=eta_min) >> cosine(eta_min, T_max, end=lr))",),
        {"lr": 0.1, "T_max": 10, "eta_min": 0.001},
        torch_rates(lambda s, o, lr, **v: s.CosineAnnealingLR(o, **v)),
        range(65),
    ),
    Case(
        "LinearLR",
        ("linear(lr * start_factor, lr * end_factor, total_iters)",),
        {"lr": 0.1, "start_factor": 0.25, "end_factor": 1.0, "total_iters": 10},
        torch_rates(lambda s, o, lr, **v: s.LinearLR(o, **v)),
        range(30),
    ),
    Case(
        "LinearLR-decay",
        ("linear(lr * start_factor, lr * end_factor, total_iters)",),
        {"lr": 0.1, "start_factor": 1.0, "end_factor": 0.05, "total_iters": 100},
        torch_rates(lambda s, o, lr, **v: s.LinearLR(o, **v)),
        range(130),
    ),
    Case(
        "ConstantLR",
        ("lr * factor for total_iters >> lr",),
        {"lr": 0.1, "factor": 0.5, "total_iters": 4},
        torch_rates(lambda s, o, lr, **v: s.ConstantLR(o, **v)),
        range(20),
    ),
    Case(
        "ConstantLR-zero-iters",
        ("lr * factor",),
        {"lr": 0.1, "factor": 0.5, "total_iters": 0},
        torch_rates(lambda s, o, lr, **v: s.ConstantLR(o, **v)),
        range(10),
    ),
    Case(
        "PolynomialLR",
        ("polynomial(lr, 0.0, total_iters, power=power)",),
        {"lr": 0.1, "total_iters": 100, "power": 2.0},
        torch_rates(lambda s, o, lr, **v: s.PolynomialLR(o, **v)),
        range(150),
    ),
    Case(
        "OneCycleLR",
        (ONE_CYCLE_TEXT,),
        {
            "lr": 0.1,
            "max_lr": 0.1,
            "total_steps": 100,
            "pct_start": 0.3,
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "anneal_strategy": "cos",
            "three_phase": False,
        },
        torch_rates(make_one_cycle),
        range(100),
    ),
    Case(
        "OneCycleLR-three-phase",
        (ONE_CYCLE_TEXT,),
        {
            "lr": 1.0,
            "max_lr": 1.0,
            "total_steps": 41,
            "pct_start": 0.25,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
        torch_rates(make_one_cycle),
        range(41),
    ),
    Case(
        "CyclicLR-triangular",
        (CYCLIC_TEXT,),
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 10,
            "mode": "triangular",
            "gamma": 1.0,
        },
        torch_rates(make_cyclic),
        range(100),
    ),
    Case(
        "CyclicLR-triangular2",
        (CYCLIC_TEXT,),
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 10,
            "mode": "triangular2",
            "gamma": 1.0,
        },
        torch_rates(make_cyclic),
        range(100),
    ),
    Case(
        "CyclicLR-exp_range",
        (CYCLIC_TEXT,),
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 10,
            "mode": "exp_range",
            "gamma": 0.99,
        },
        torch_rates(make_cyclic),
        range(100),
    ),
    Case(
        "CyclicLR-asymmetric",
        (
            "repeat(linear(base_lr, max_lr, step_size_up) "
            ">> linear(max_lr, base_lr, step_size_down))",
        ),
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 3,
            "step_size_down": 8,
            "mode": "triangular",
        },
        torch_rates(make_cyclic),
        range(100),
    ),
    Case(
        "CyclicLR-asymmetric-triangular2",
        (
            "base_lr + (max_lr - base_lr) "
            "* repeat(linear(0.0, 1.0, step_size_up) "
            ">> linear(1.0, 0.0, step_size_down)) "
            "* exponential(1.0, 0.5, every=step_size_up + step_size_down, "
            "staircase=true)",
        ),
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 3,
            "step_size_down": 8,
            "mode": "triangular2",
        },
        torch_rates(make_cyclic),
        range(100),
    ),
    Case(
        "CosineAnnealingWarmRestarts",
        ("repeat(cosine(lr, T_0, end=eta_min), mult=T_mult)",),
        {"lr": 0.1, "T_0": 10, "T_mult": 1, "eta_min": 1e-4},
        torch_rates(lambda s, o, lr, **v: s.CosineAnnealingWarmRestarts(o, **v)),
        range(100),
    ),
    Case(
        "CosineAnnealingWarmRestarts-mult",
        ("repeat(cosine(lr, T_0, end=eta_min), mult=T_mult)",),
        {"lr": 0.1, "T_0": 10, "T_mult": 2, "eta_min": 1e-4},
        torch_rates(lambda s, o, lr, **v: s.CosineAnnealingWarmRestarts(o, **v)),
        range(200),
    ),
    Case(
        "SequentialLR",
        (
            "warmup(total_iters, lr, start=lr * start_factor) "
            ">> cosine(lr, T_max, end=eta_min)",
        ),
        {
            "lr": 0.1,
            "start_factor": 0.01,
            "total_iters": 10,
            "milestone": 10,
            "T_max": 90,
            "eta_min": 0.0,
        },
        torch_rates(make_sequential),
        range(101),
    ),
    Case(
        "SequentialLR-late-milestone",
        (
            "linear(lr * start_factor, lr, total_iters) for milestone "
            ">> cosine(lr, T_max, end=eta_min)",
        ),
        {
            "lr": 0.1,
            "start_factor": 0.1,
            "total_iters": 5,
            "milestone": 8,
            "T_max": 20,
            "eta_min": 0.001,
        },
        torch_rates(make_sequential),
        range(29),
    ),
    Case(
        "ChainedScheduler",
        ("(lr * factor for total_iters >> lr) * exponential(1.0, gamma)",),
        {"lr": 0.1, "factor": 0.5, "total_iters": 4, "gamma": 0.9},
        torch_rates(
            lambda s, o, lr, factor, total_iters, gamma: s.ChainedScheduler(
                [
                    s.ConstantLR(o, factor=factor, total_iters=total_iters),
                    s.ExponentialLR(o, gamma=gamma),
                ]
            )
        ),
        range(40),
    ),
    Case(
        "MultiplicativeLR",
        ("exponential(lr, gamma)",),
        {"lr": 0.1, "gamma": 0.95},
        torch_rates(lambda s, o, lr, gamma: s.MultiplicativeLR(o, lambda k: gamma)),
        range(200),
    ),
    Case(
        "LambdaLR-warmup",
        ("warmup(warmup_steps, lr)",),
        {"lr": 0.1, "warmup_steps": 10},
        torch_lambda(lambda k, lr, warmup_steps: min(1.0, k / warmup_steps)),
        range(40),
    ),
    Case(
        "LambdaLR-step",
        ("step(lr, step_size, gamma=gamma)",),
        {"lr": 0.1, "step_size": 7, "gamma": 0.5},
        torch_lambda(lambda k, lr, step_size, gamma: gamma ** (k // step_size)),
        range(60),
    ),
    Case(
        "LambdaLR-inverse-sqrt",
        ("inverse_sqrt(lr, warmup_steps)",),
        {"lr": 0.1, "warmup_steps": 16},
        torch_lambda(
            lambda k, lr, warmup_steps: (
                min(k / warmup_steps, math.sqrt(warmup_steps / k)) if k > 0 else 0.0
            )
        ),
        range(300),
    ),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda case: case.id)
def test_torch(case):
    check_case(case)


# optax: formulas of optax/schedules/_schedule.py and _join.py, restated.


def optax_polynomial(v, count, power):
    """optax ``polynomial_schedule``: hold, then a power curve, then hold."""
    init, end, steps = v["init_value"], v["end_value"], v["transition_steps"]
    begin = v.get("transition_begin", 0)
    t = min(max(count - begin, 0), steps)
    return (init - end) * (1 - t / steps) ** power + end


def optax_cosine(v, count):
    """optax ``cosine_decay_schedule`` with ``exponent=1``."""
    t = min(count, v["decay_steps"])
    decay = 0.5 * (1 + math.cos(math.pi * t / v["decay_steps"]))
    return v["init_value"] * ((1 - v["alpha"]) * decay + v["alpha"])


def optax_exponential(init, v, count):
    """optax ``exponential_decay`` from ``init`` (``decay_rate != 0``)."""
    shifted = count - v.get("transition_begin", 0)
    exponent = shifted / v["transition_steps"]
    if v.get("staircase", False):
        exponent = math.floor(exponent)
    value = init if shifted <= 0 else init * v["decay_rate"] ** exponent
    if v.get("end_value") is not None:
        clip = max if v["decay_rate"] < 1.0 else min
        value = clip(value, v["end_value"])
    return value


def optax_piecewise_constant(v, count):
    """optax ``piecewise_constant_schedule``: a scale applies from its boundary.

    The case lists ``boundaries_and_scales`` out of order, as a dict may.
    """
    boundaries_and_scales = {v["b2"]: v["s2"], v["b1"]: v["s1"], v["b3"]: v["s3"]}
    value = v["init_value"]
    for boundary, scale in sorted(boundaries_and_scales.items()):
        if count >= boundary:
            value *= scale
    return value


def optax_join(schedules, boundaries, count):
    """optax ``join_schedules``: piece i reads ``count - boundaries[i - 1]``."""
    value = schedules[0](count)
    for boundary, schedule in zip(boundaries, schedules[1:], strict=True):
        if count >= boundary:
            value = schedule(count - boundary)
    return value


def optax_warmup(v, count):
    """optax ``linear_schedule(init_value, peak_value, warmup_steps)``."""
    ramp = {
        "init_value": v["init_value"],
        "end_value": v["peak_value"],
        "transition_steps": v["warmup_steps"],
    }
    return optax_polynomial(ramp, count, 1)


def per_step(formula):
    """Turn ``formula(variables, count)`` into a reference over a range."""
    return lambda v, steps: [formula(v, count) for count in steps]


def optax_join_example(v, count):
    ramp = {"init_value": 0.0, "end_value": 1.0, "transition_steps": 10}
    cosine = {"init_value": 1.0, "decay_steps": 20, "alpha": 0.0}
    schedules = [
        lambda c: optax_polynomial(ramp, c, 1),
        lambda c: optax_cosine(cosine, c),
        lambda c: 0.05,
    ]
    return optax_join(schedules, [v["b1"], v["b2"]], count)


def optax_warmup_exponential(v, count):
    schedules = [
        lambda c: optax_warmup(v, c),
        lambda c: optax_exponential(v["peak_value"], v, c),
    ]
    return optax_join(schedules, [v["warmup_steps"]], count)


def optax_warmup_cosine(v, count):
    peak = v["peak_value"]
    cosine = {
        "init_value": peak,
        "decay_steps": v["decay_steps"] - v["warmup_steps"],
        "alpha": v["end_value"] / peak,
    }
    schedules = [lambda c: optax_warmup(v, c), lambda c: optax_cosine(cosine, c)]
    return optax_join(schedules, [v["warmup_steps"]], count)


OPTAX_EXPONENTIAL = (
    "init_value for transition_begin "
    ">> exponential(init_value, decay_rate, every=transition_steps, "
    "staircase=staircase)"
)

OPTAX_CASES = [
    Case(
        "constant_schedule",
        ("constant(value)",),
        {"value": 0.3},
        per_step(lambda v, count: v["value"]),
        range(10),
    ),
    Case(
        "linear_schedule",
        (
            "init_value for transition_begin >> linear(init_value, end_value, "
            "transition_steps)",
        ),
        {
            "init_value": 1.0,
            "end_value": 0.01,
            "transition_steps": 100,
            "transition_begin": 5,
        },
        per_step(lambda v, count: optax_polynomial(v, count, 1)),
        range(120),
    ),
    Case(
        "linear_schedule-no-begin",
        (
            "init_value for transition_begin >> linear(init_value, end_value, "
            "transition_steps)",
        ),
        {
            "init_value": 0.0,
            "end_value": 0.1,
            "transition_steps": 8,
            "transition_begin": 0,
        },
        per_step(lambda v, count: optax_polynomial(v, count, 1)),
        range(20),
    ),
    Case(
        "cosine_decay_schedule",
        ("cosine(init_value, decay_steps, end=alpha * init_value)",),
        {"init_value": 0.1, "decay_steps": 100, "alpha": 0.01},
        per_step(optax_cosine),
        range(130),
    ),
    Case(
        "warmup_cosine_decay_schedule",
        (
            "warmup(warmup_steps, peak_value, start=init_value) "
            ">> cosine(peak_value, decay_steps - warmup_steps, end=end_value)",
        ),
        {
            "init_value": 0.0,
            "peak_value": 0.1,
            "warmup_steps": 10,
            "decay_steps": 100,
            "end_value": 1e-4,
        },
        per_step(optax_warmup_cosine),
        range(130),
    ),
    Case(
        "exponential_decay",
        (OPTAX_EXPONENTIAL,),
        {
            "init_value": 0.1,
            "transition_steps": 10,
            "decay_rate": 0.5,
            "transition_begin": 5,
            "staircase": False,
        },
        per_step(lambda v, count: optax_exponential(v["init_value"], v, count)),
        range(100),
    ),
    Case(
        "exponential_decay-end-value",
        (f"max({OPTAX_EXPONENTIAL}, end_value)",),
        {
            "init_value": 0.1,
            "transition_steps": 10,
            "decay_rate": 0.5,
            "transition_begin": 5,
            "staircase": True,
            "end_value": 0.002,
        },
        per_step(lambda v, count: optax_exponential(v["init_value"], v, count)),
        range(100),
    ),
    Case(
        # optax clips the held first segment too: here every value is end_value.
        "exponential_decay-end-above-init",
        (f"max({OPTAX_EXPONENTIAL}, end_value)",),
        {
            "init_value": 0.01,
            "transition_steps": 10,
            "decay_rate": 0.5,
            "transition_begin": 5,
            "staircase": False,
            "end_value": 0.05,
        },
        per_step(lambda v, count: optax_exponential(v["init_value"], v, count)),
        range(30),
    ),
    Case(
        "exponential_decay-growth",
        (f"min({OPTAX_EXPONENTIAL}, end_value)",),
        {
            "init_value": 1e-5,
            "transition_steps": 3,
            "decay_rate": 2.0,
            "transition_begin": 0,
            "staircase": False,
            "end_value": 0.01,
        },
        per_step(lambda v, count: optax_exponential(v["init_value"], v, count)),
        range(60),
    ),
    Case(
        "piecewise_constant_schedule",
        (
            "piecewise([b1, b2, b3], [init_value, init_value * s1, "
            "init_value * s1 * s2, init_value * s1 * s2 * s3])",
        ),
        {
            "init_value": 0.1,
            "b1": 20,
            "b2": 60,
            "b3": 90,
            "s1": 0.1,
            "s2": 0.5,
            "s3": 2.0,
        },
        per_step(optax_piecewise_constant),
        range(120),
    ),
    Case(
        "polynomial_schedule",
        (
            "init_value for transition_begin "
            ">> polynomial(init_value, end_value, transition_steps, power=power)",
        ),
        {
            "init_value": 1.0,
            "end_value": 0.01,
            "power": 2.0,
            "transition_steps": 100,
            "transition_begin": 5,
        },
        per_step(lambda v, count: optax_polynomial(v, count, v["power"])),
        range(120),
    ),
    Case(
        "join_schedules",
        ("{s0} for b1 >> {s1} for b2 - b1 >> {s2}",),
        {"b1": 5, "b2": 30},
        per_step(optax_join_example),
        range(50),
        inserts={"s0": "linear(0.0, 1.0, 10)", "s1": "cosine(1.0, 20)", "s2": "0.05"},
    ),
    Case(
        "warmup_exponential_decay_schedule",
        (
            "warmup(warmup_steps, peak_value, start=init_value) "
            ">> max(peak_value for transition_begin "
            ">> exponential(peak_value, decay_rate, every=transition_steps, "
            "staircase=staircase), end_value)",
        ),
        {
            "init_value": 0.0,
            "peak_value": 0.1,
            "warmup_steps": 10,
            "transition_steps": 20,
            "decay_rate": 0.5,
            "transition_begin": 5,
            "staircase": False,
            "end_value": 0.01,
        },
        per_step(optax_warmup_exponential),
        range(150),
    ),
]


@pytest.mark.parametrize("case", OPTAX_CASES, ids=lambda case: case.id)
def test_optax(case):
    check_case(case)


# Hugging Face transformers: the LambdaLR multipliers of
# transformers/optimization.py, restated. The rate is lr * multiplier(k).


def hf_ramp(k, w):
    return k / max(1, w)


def hf_linear(k, w, n):
    if k < w:
        return hf_ramp(k, w)
    return max(0.0, (n - k) / max(1, n - w))


def hf_cosine(k, w, n, cycles, min_rate=0.0):
    if k < w:
        return hf_ramp(k, w)
    progress = (k - w) / max(1, n - w)
    factor = 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * progress))
    return max(0.0, factor * (1 - min_rate) + min_rate)


def hf_hard_restarts(k, w, n, cycles):
    if k < w:
        return hf_ramp(k, w)
    progress = (k - w) / max(1, n - w)
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((cycles * progress) % 1.0))))


def hf_polynomial(k, w, n, lr_end, power, lr_init):
    if k < w:
        return hf_ramp(k, w)
    if k > n:
        return lr_end / lr_init
    remaining = 1 - (k - w) / (n - w)
    return ((lr_init - lr_end) * remaining**power + lr_end) / lr_init


def hf_inverse_sqrt(k, w):
    timescale = w or 10_000
    if k < w:
        return hf_ramp(k, w)
    return 1.0 / math.sqrt((k + timescale - w) / timescale)


def hf_wsd(k, w, stable, decay, warmup_type, decay_type, min_ratio):
    if k < w:
        progress = k / max(1, w)
        factor = {
            "linear": progress,
            "cosine": 0.5 * (1.0 - math.cos(math.pi * progress)),
            "1-sqrt": 1.0 - math.sqrt(1.0 - progress),
        }[warmup_type]
        return max(0.0, factor * (1.0 - min_ratio) + min_ratio)
    if k < w + stable:
        return 1.0
    if k < w + stable + decay:
        progress = (k - w - stable) / max(1, decay)
        factor = {
            "linear": 1.0 - progress,
            "cosine": 0.5 * (1.0 + math.cos(math.pi * progress)),
        }[decay_type]
        return max(0.0, factor * (1.0 - min_ratio) + min_ratio)
    return min_ratio


def hf_rates(multiplier):
    """Return a reference ``lr * multiplier(k, v)`` over a range."""
    return lambda v, steps: [v["lr"] * multiplier(k, v) for k in steps]


def hf_wsd_rates(v, steps):
    return [
        v["lr"]
        * hf_wsd(
            k,
            v["num_warmup_steps"],
            v["num_stable_steps"],
            v["num_decay_steps"],
            v["warmup_type"],
            v["decay_type"],
            v["min_lr_ratio"],
        )
        for k in steps
    ]


HF_WSD = {
    "lr": 0.1,
    "num_warmup_steps": 10,
    "num_stable_steps": 50,
    "num_decay_steps": 40,
    "min_lr_ratio": 0.1,
}

HF_COSINE_PERIODIC = (
    "warmup(num_warmup_steps, lr) "
    ">> repeat(cosine(lr, (num_training_steps - num_warmup_steps) / (2 * num_cycles)) "
    ">> cosine(0.0, (num_training_steps - num_warmup_steps) / (2 * num_cycles), "
    "end=lr))"
)

HF_CASES = [
    Case(
        "get_constant_schedule",
        ("lr",),
        {"lr": 0.1},
        hf_rates(lambda k, v: 1.0),
        range(10),
    ),
    Case(
        "get_constant_schedule_with_warmup",
        ("warmup(num_warmup_steps, lr) >> lr",),
        {"lr": 0.1, "num_warmup_steps": 10},
        hf_rates(
            lambda k, v: (
                hf_ramp(k, v["num_warmup_steps"]) if k < v["num_warmup_steps"] else 1.0
            )
        ),
        range(30),
    ),
    Case(
        "get_linear_schedule_with_warmup",
        (
            "warmup(num_warmup_steps, lr) "
            ">> linear(lr, 0.0, num_training_steps - num_warmup_steps)",
        ),
        {"lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 100},
        hf_rates(
            lambda k, v: hf_linear(k, v["num_warmup_steps"], v["num_training_steps"])
        ),
        range(130),
    ),
    Case(
        "get_cosine_schedule_with_warmup",
        (
            "warmup(num_warmup_steps, lr) "
            ">> cosine(lr, num_training_steps - num_warmup_steps)",
        ),
        {"lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 100},
        hf_rates(
            lambda k, v: hf_cosine(
                k, v["num_warmup_steps"], v["num_training_steps"], 0.5
            )
        ),
        range(101),
    ),
    Case(
        "get_cosine_schedule_with_warmup-periodic",
        (HF_COSINE_PERIODIC,),
        {
            "lr": 0.1,
            "num_warmup_steps": 10,
            "num_training_steps": 90,
            "num_cycles": 0.5,
        },
        hf_rates(
            lambda k, v: hf_cosine(
                k, v["num_warmup_steps"], v["num_training_steps"], v["num_cycles"]
            )
        ),
        range(300),
    ),
    Case(
        "get_cosine_schedule_with_warmup-cycles",
        (HF_COSINE_PERIODIC,),
        {
            "lr": 0.1,
            "num_warmup_steps": 10,
            "num_training_steps": 90,
            "num_cycles": 2,
        },
        hf_rates(
            lambda k, v: hf_cosine(
                k, v["num_warmup_steps"], v["num_training_steps"], v["num_cycles"]
            )
        ),
        range(200),
    ),
    Case(
        "get_cosine_with_min_lr_schedule_with_warmup",
        (
            "warmup(num_warmup_steps, lr) "
            ">> cosine(lr, num_training_steps - num_warmup_steps, "
            "end=lr * min_lr_rate)",
        ),
        {
            "lr": 0.1,
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "min_lr_rate": 0.05,
        },
        hf_rates(
            lambda k, v: hf_cosine(
                k,
                v["num_warmup_steps"],
                v["num_training_steps"],
                0.5,
                v["min_lr_rate"],
            )
        ),
        range(101),
    ),
    Case(
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        (
            "warmup(num_warmup_steps, lr) "
            ">> repeat(cosine(lr, (num_training_steps - num_warmup_steps) "
            "/ num_cycles), times=num_cycles)",
        ),
        {
            "lr": 0.1,
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "num_cycles": 3,
        },
        hf_rates(
            lambda k, v: hf_hard_restarts(
                k, v["num_warmup_steps"], v["num_training_steps"], v["num_cycles"]
            )
        ),
        range(130),
    ),
    Case(
        "get_polynomial_decay_schedule_with_warmup",
        (
            "warmup(num_warmup_steps, lr) >> polynomial(lr, lr_end, "
            "num_training_steps - num_warmup_steps, power=power)",
        ),
        {
            "lr": 0.1,
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "lr_end": 1e-7,
            "power": 2.0,
        },
        hf_rates(
            lambda k, v: hf_polynomial(
                k,
                v["num_warmup_steps"],
                v["num_training_steps"],
                v["lr_end"],
                v["power"],
                v["lr"],
            )
        ),
        range(130),
    ),
    Case(
        "get_inverse_sqrt_schedule",
        ("inverse_sqrt(lr, num_warmup_steps)",),
        {"lr": 0.1, "num_warmup_steps": 25},
        hf_rates(lambda k, v: hf_inverse_sqrt(k, v["num_warmup_steps"])),
        range(1000),
    ),
    Case(
        "get_wsd_schedule",
        (
            "warmup(num_warmup_steps, lr, start=lr * min_lr_ratio) "
            ">> lr for num_stable_steps "
            ">> cosine(lr, num_decay_steps, end=lr * min_lr_ratio)",
        ),
        HF_WSD | {"warmup_type": "linear", "decay_type": "cosine"},
        hf_wsd_rates,
        range(130),
    ),
    Case(
        "get_wsd_schedule-cosine-linear",
        (
            "cosine(lr * min_lr_ratio, num_warmup_steps, end=lr) "
            ">> lr for num_stable_steps "
            ">> linear(lr, lr * min_lr_ratio, num_decay_steps)",
        ),
        HF_WSD | {"warmup_type": "cosine", "decay_type": "linear"},
        hf_wsd_rates,
        range(130),
    ),
    Case(
        "get_wsd_schedule-1-sqrt",
        (
            "polynomial(lr * min_lr_ratio, lr, num_warmup_steps, power=0.5) "
            ">> lr for num_stable_steps "
            ">> cosine(lr, num_decay_steps, end=lr * min_lr_ratio)",
        ),
        HF_WSD | {"warmup_type": "1-sqrt", "decay_type": "cosine"},
        hf_wsd_rates,
        range(130),
    ),
]


@pytest.mark.parametrize("case", HF_CASES, ids=lambda case: case.id)
def test_transformers(case):
    check_case(case)


# The docs page: every row names tests that check exactly its texts.

TABLES = {
    "test_paddle_classic": {row.id: row.texts for row in PADDLE_CLASSIC_ROWS},
    "test_append_lars": {
        "number": ("append_LARS(learning_rate, weight_decay)",),
        "schedule": ("append_LARS({learning_rate}, weight_decay)",),
    },
    "test_paddle2": {row.id: row.texts for row in PADDLE2_RECORD_ROWS},
    "test_paddle2_formula": {case.id: case.texts for case in PADDLE2_FORMULA_CASES},
    "test_torch": {case.id: case.texts for case in TORCH_CASES},
    "test_optax": {case.id: case.texts for case in OPTAX_CASES},
    "test_transformers": {case.id: case.texts for case in HF_CASES},
}


def doc_rows():
    """Return (lrdsl code spans, test references) of each table row."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or cells[3] in ("test", ""):
            continue
        if set(cells[0]) <= set("-: "):
            continue
        texts = re.findall(r"`([^`]+)`", cells[1])
        tests = re.findall(r"`(test_\w+)\[([^\]]+)\]`", cells[3])
        rows.append((line, texts, tests))
    return rows


def test_doc_rows_name_existing_tests():
    rows = doc_rows()
    assert rows, "docs/migration.md has no table rows"
    for line, _, tests in rows:
        assert tests, f"row without a test: {line}"
        for function, case_id in tests:
            assert case_id in TABLES.get(function, {}), f"unknown test in: {line}"


def test_doc_rows_show_tested_texts():
    for line, texts, tests in doc_rows():
        tested = {
            doc_form(text)
            for function, case_id in tests
            for text in TABLES.get(function, {}).get(case_id, ())
        }
        assert set(texts) == tested, f"row and tests differ: {line}"


def test_every_case_has_a_doc_row():
    referenced = {(f, case_id) for _, _, tests in doc_rows() for f, case_id in tests}
    for function, table in TABLES.items():
        for case_id in table:
            assert (function, case_id) in referenced, f"{function}[{case_id}]"
