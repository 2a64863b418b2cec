"""Correctness of the fast evaluation paths (no timing here).

The vector path evaluates blocks of steps into one result array and picks
``>>`` segments for sorted and unsorted steps. Schedules may declare numpy
and scalar kernels next to their formulas, the scalar path binds arguments
once, and ``import lrdsl`` defers lark and yaml. Each test compares a fast path with the
plain one: the formula evaluated with the ``xp`` namespace, or ``f`` at one
step. Kernels must match their formulas bit for bit. Scalar and vector
results may differ by a few ulp, because numpy's ``cos`` and ``pow`` may
round differently from ``math``'s (``PATH_REL``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrdsl
from lrdsl import _schedule
from lrdsl._evaluate import MAX_MASKED_SEGMENTS
from lrdsl._ops import SCALAR, ArrayTuple, vector_namespace
from lrdsl._registry import REGISTRY, scalar_kernel_for, vector_kernel_for

PATH_REL = 1e-12
PATH_ABS = 1e-15
ROOT = Path(__file__).resolve().parent.parent

# Arguments for each kernel, in declared order, covering the Python branches
# of the formulas: zero length, rising and falling ramps, negative values.
KERNEL_CASES = {
    "warmup": [(0, 0.1, 0.0), (1, 0.1, 0.0), (7, 0.1, 0.0), (10, -0.5, 2.0)],
    "linear": [(1.0, 0.5, 0), (1.0, 0.5, 9), (-1.0, 3.0, 1000), (0.0, 0.0, 5)],
    "cosine": [(0.1, 0, 0.0), (0.1, 1, 0.0), (1.0, 17, 0.25), (-1.0, 9, 2.0)],
    "piecewise": [((), (0.5,)), ((0,), (1.0, 2.0)), ((3, 6, 40), (1.0, 0.5, 0.2, 0.1))],
}

KERNEL_STEPS = np.concatenate(
    [np.arange(60), [99, 1000, 10**6, 2**40 + 3, 2**62 - 1, 2**62]]
).astype(np.int64)

# Schedules whose vector and scalar paths are compared at every step.
SCHEDULES = [
    "warmup(1000, 0.1) >> cosine(0.1, 9999000)",
    "warmup(5, 0.1) >> constant(0.1) for 3 >> cosine(0.1, 7, 0.01) >> 0.02",
    "warmup(0, 0.3) >> linear(0.3, 0.1, 0) >> cosine(0.1, 4) >> step(0.1, 3, 0.5)",
    "warmup(4, 1.0) >> global(piecewise([6, 9], [1.0, 0.5, 0.25]))",
    "(warmup(3, 1.0) >> cosine(1.0, 5)) for 8 >> (linear(0.5, 0.1, 4) >> 0.1)",
    "0.5 * (warmup(6, 1.0) >> cosine(1.0, 10)) + 1e-3",
    "-(warmup(2, 1.0) >> 1.0) + 2",
    "min(warmup(10, 1.0), cosine(1.0, 20)) >> max(0.1, exponential(1.0, 0.9))",
    "clip(warmup(10, 2.0) >> cosine(2.0, 10), 0.5, 1.5)",
    "linear_lr_warmup(piecewise_decay([3, 6], [0.5, 0.2, 0.1]), 2, 0.0, 1.0)",
    "noam_decay(512, 40) for 25 >> polynomial(0.1, 0.0, 30)",
    "multistep(1.0, [4, 4, 9], 0.5)",
    "piecewise([2, 5, 11], [1.0, 0.1, 0.01, 0.001])",
    " >> ".join(f"cosine({k + 1}.0, {k % 3})" for k in range(3 * MAX_MASKED_SEGMENTS)),
]


@pytest.fixture
def small_blocks(monkeypatch):
    """Evaluate arrays in blocks of 7 steps, so that segments cross blocks."""
    monkeypatch.setattr(_schedule, "BLOCK_STEPS", 7)


def scalar_values(f, steps):
    return np.array([f(int(step)) for step in steps])


def assert_paths_close(vector, scalar):
    np.testing.assert_allclose(vector, scalar, rtol=PATH_REL, atol=PATH_ABS)


# Kernels.


@pytest.mark.parametrize(
    ("name", "args"),
    [(name, args) for name, cases in KERNEL_CASES.items() for args in cases],
)
def test_vector_kernel_matches_formula_bits(name, args):
    spec = REGISTRY[name]
    args = tuple(ArrayTuple(a) if isinstance(a, tuple) else a for a in args)
    with np.errstate(all="ignore"):
        expected = np.asarray(
            spec.formula(vector_namespace(), KERNEL_STEPS, *args), dtype=np.float64
        )
        out = np.full(KERNEL_STEPS.shape, np.nan)
        spec.vector_kernel(KERNEL_STEPS, out, *args)
    expected = np.broadcast_to(expected, out.shape)
    assert np.array_equal(out.view(np.int64), expected.view(np.int64))


@pytest.mark.parametrize(
    ("name", "args"),
    [(name, args) for name, cases in KERNEL_CASES.items() for args in cases],
)
def test_scalar_kernel_matches_formula_bits(name, args):
    spec = REGISTRY[name]
    for step in KERNEL_STEPS.tolist():
        expected = float(spec.formula(SCALAR, step, *args))
        got = spec.scalar_kernel(step, *args)
        assert type(got) is float
        assert got.hex() == expected.hex(), (step, got, expected)


def test_every_kernel_has_cases():
    with_kernels = {
        name
        for name, spec in REGISTRY.items()
        if spec.vector_kernel or spec.scalar_kernel
    }
    assert with_kernels <= set(KERNEL_CASES)


def test_kernel_declaration_checks_parameters():
    with pytest.raises(RuntimeError, match="no schedule named"):
        vector_kernel_for("no_such_schedule")(lambda s, out: None)
    with pytest.raises(RuntimeError, match="params declare"):
        scalar_kernel_for("exponential")(lambda s, init: 0.0)
    with pytest.raises(RuntimeError, match="two vector_kernels"):
        vector_kernel_for("cosine")(lambda s, out, init, steps, end: None)


def test_formula_without_kernel_still_works():
    # exponential declares no kernel, so the generic formula path runs.
    assert REGISTRY["exponential"].vector_kernel is None
    f = lrdsl.compile("warmup(2, 1.0) >> exponential(1.0, 0.5)")
    steps = np.arange(10)
    assert_paths_close(f(steps), scalar_values(f, steps))


# Vector path against the scalar path.


@pytest.mark.parametrize("text", SCHEDULES)
def test_vector_equals_scalar(text):
    f = lrdsl.compile(text)
    steps = np.arange(80)
    assert_paths_close(f(steps), scalar_values(f, steps))


@pytest.mark.parametrize("text", SCHEDULES)
def test_small_blocks_equal_one_block(text, small_blocks, monkeypatch):
    f = lrdsl.compile(text)
    steps = np.arange(80)
    blocked = f(steps)
    monkeypatch.setattr(_schedule, "BLOCK_STEPS", 10**9)
    assert np.array_equal(blocked, f(steps))


@pytest.mark.parametrize("text", SCHEDULES)
def test_unsorted_equals_sorted(text, small_blocks):
    f = lrdsl.compile(text)
    steps = np.arange(80)
    order = np.random.default_rng(7).permutation(steps.size)
    assert np.array_equal(f(steps[order]), f(steps)[order])
    assert np.array_equal(f(steps[::-1]), f(steps)[::-1])


def test_unsorted_with_repeats_and_plateaus(small_blocks):
    f = lrdsl.compile(SCHEDULES[1])
    steps = np.array([5, 5, 0, 9, 9, 9, 1, 30, 4, 8, 8, 2, 0, 17, 3])
    assert_paths_close(f(steps), scalar_values(f, steps))


def test_many_segments_unsorted_uses_grouping(small_blocks, monkeypatch):
    # More segments than masks allow forces the sort-based grouping.
    text = " >> ".join(f"constant({k}.0) for 2" for k in range(40))
    f = lrdsl.compile(text)
    steps = np.random.default_rng(1).permutation(80)
    assert f(steps).tolist() == (steps // 2).astype(float).tolist()
    monkeypatch.setattr(_schedule, "BLOCK_STEPS", 10**9)
    assert f(steps).tolist() == (steps // 2).astype(float).tolist()


def test_large_steps_cross_segments_in_one_block():
    f = lrdsl.compile(f"1 for {2**40} >> 2 for {2**41} >> 3")
    steps = np.array([0, 2**40 - 1, 2**40, 2**40 + 2**41 - 1, 2**40 + 2**41, 2**62])
    assert f(steps).tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]


# Input layouts and the result array.


@pytest.mark.parametrize(
    "make",
    [
        lambda s: s[::3],
        lambda s: s[::-2],
        lambda s: s.reshape(4, 20),
        lambda s: s.reshape(4, 20).T,
        lambda s: s.astype(np.uint32),
        lambda s: s.astype(np.uint64),
        lambda s: s.astype(np.int16),
        lambda s: s.astype(np.float64),
        lambda s: s.tolist(),
    ],
    ids=["stride", "reversed", "2d", "transposed", "u32", "u64", "i16", "f64", "list"],
)
def test_input_layouts(make, small_blocks):
    f = lrdsl.compile(SCHEDULES[1])
    steps = make(np.arange(80))
    expected = np.vectorize(lambda step: f(int(step)), otypes=[float])(
        np.asarray(steps)
    )
    result = f(steps)
    assert result.shape == np.shape(steps)
    assert_paths_close(result, expected)


def test_read_only_input_is_not_written(small_blocks):
    f = lrdsl.compile(SCHEDULES[0])
    steps = np.arange(100)
    steps.flags.writeable = False
    result = f(steps)
    assert result.flags.writeable
    assert result.dtype == np.float64
    assert not np.shares_memory(result, steps)
    assert steps.tolist() == list(range(100))


def test_results_are_independent_arrays():
    f = lrdsl.compile("piecewise([3], [1.0, 2.0])")
    first = f(np.arange(6))
    first[:] = -1.0
    assert f(np.arange(6)).tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]


def test_empty_and_zero_dimensional_input():
    f = lrdsl.compile(SCHEDULES[0])
    assert f(np.array([], dtype=np.int64)).shape == (0,)
    assert f(np.zeros((0, 3), dtype=np.int64)).shape == (0, 3)
    single = f(np.array(12345))
    assert single.shape == ()
    assert float(single) == pytest.approx(f(12345), rel=PATH_REL)


def test_bad_step_in_a_later_block_is_reported(small_blocks):
    f = lrdsl.compile(SCHEDULES[0])
    steps = np.arange(50)
    steps[43] = -4
    with pytest.raises(lrdsl.StepError, match="invalid step -4"):
        f(steps)
    floats = np.arange(50.0)
    floats[30] = 2.5
    with pytest.raises(lrdsl.StepError, match="invalid step 2.5"):
        f(floats)
    huge = np.arange(50, dtype=np.uint64)
    huge[20] = 2**63 + 5
    with pytest.raises(lrdsl.StepError, match=str(2**63 + 5)):
        f(huge)


def test_layerwise_blocks_equal_scalar_rows(small_blocks):
    f = lrdsl.compile("lars(warmup(4, 1.0) >> cosine(1.0, 9), weight_decay=0.01)")
    params = np.array([1.0, 2.0, 0.0])
    grads = np.array([0.5, 0.0, 1.0])
    steps = np.random.default_rng(3).permutation(20)
    table = f.local_lr(steps, params, grads)
    assert table.shape == (20, 3)
    for row, step in zip(table, steps, strict=True):
        expected = f.local_lr(int(step), params, grads)
        np.testing.assert_allclose(row, expected, rtol=PATH_REL, atol=PATH_ABS)


# The scalar path.


@pytest.mark.parametrize("text", SCHEDULES)
def test_bound_scalar_function_equals_scalar_method(text):
    f = lrdsl.compile(text)
    root = f._root
    for step in [*range(40), 10**6, 2**62]:
        assert f(step) == root.scalar(step, step)


@pytest.mark.parametrize(
    "step", [12345, np.int64(12345), np.uint16(12345), 12345.0, np.float32(12345)]
)
def test_scalar_step_types_agree(step):
    f = lrdsl.compile(SCHEDULES[0])
    value = f(step)
    assert type(value) is float
    assert value == f(12345)


def test_list_arguments_are_tuples_with_cached_arrays():
    f = lrdsl.compile("piecewise([3, 6], [1.0, 0.5, 0.25])")
    boundaries = f._root.args["boundaries"]
    assert isinstance(boundaries, tuple)
    assert boundaries == (3, 6)
    array = boundaries.as_array(np.int64)
    assert array is boundaries.as_array(np.int64)
    assert not array.flags.writeable
    assert f(np.arange(8)).tolist() == [1.0] * 3 + [0.5] * 3 + [0.25] * 2


# Lazy imports.


def test_import_defers_lark_and_yaml():
    code = (
        "import sys, lrdsl; "
        "print(*sorted(m for m in ('lark', 'yaml') if m in sys.modules)); "
        "lrdsl.compile('warmup(2, 1.0)'); print('lark' in sys.modules); "
        "lrdsl.load; print('yaml' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert completed.stdout.split("\n")[:3] == ["", "True", "True"]


def test_lazy_public_names_resolve():
    from lrdsl import Config, load

    assert lrdsl.Config is Config
    assert lrdsl.load is load
    with pytest.raises(AttributeError, match="no_such_name"):
        lrdsl.no_such_name  # noqa: B018


def test_derived_values_are_computed_once():
    calls = []

    def double(values):
        calls.append(values)
        return tuple(2 * value for value in values)

    values = ArrayTuple((1, 2))
    first = values.derived("double", double)
    assert first == (2, 4)
    assert isinstance(first, ArrayTuple)
    assert values.derived("double", double) is first
    assert len(calls) == 1


def test_piecewise_decay_blocks_match_scalar(small_blocks):
    # Unsorted boundaries exercise the running maxima shared across blocks.
    f = lrdsl.compile("piecewise_decay([5, 2, 9, 30], [1.0, 9.0, 3.0, 0.5, 0.1])")
    steps = np.arange(40)
    assert f(steps).tolist() == [f(int(step)) for step in steps]
