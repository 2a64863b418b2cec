"""The language core: syntax, printing, units, variables, clocks and steps."""

import math

import numpy as np
import pytest

import lrdsl
from lrdsl import _ast as ast
from lrdsl._syntax import parse

# Syntax and printing.


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("warmup(500, 0.01)", "warmup(500, 0.01)"),
        ("a >> b >> c", "a >> b >> c"),
        ("a >> (b >> c)", "a >> b >> c"),
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("1 - 2 - 3", "1 - 2 - 3"),
        ("a / (b * c)", "a / (b * c)"),
        ("--a", "--a"),
        ("-(a + b)", "-(a + b)"),
        ("+a", "a"),
        ("x for 3 for 5ep", "x for 3 for 5ep"),
        ("x for (a >> b)", "x for (a >> b)"),
        ("a >> x for 2 + 3 >> b", "a >> x for 2 + 3 >> b"),
        ("f(1, k=[1, 2,],)", "f(1, k=[1, 2])"),
        ('one_cycle(1, 10, anneal="cos", three_phase=true)', None),
        ("1e-3 + .5 + 5. + 1E3ep + 10%", "1e-3 + .5 + 5. + 1E3ep + 10%"),
        ("[]", "[]"),
    ],
)
def test_print_round_trip(text, printed):
    tree = parse(text)
    assert str(tree) == (printed or text)
    assert parse(str(tree)) == tree


def test_precedence_then_loosest():
    tree = parse("a >> b for 3 >> c + d * -e")
    assert isinstance(tree, ast.Then)
    assert isinstance(tree.parts[1], ast.For)
    last = tree.parts[2]
    assert isinstance(last, ast.BinOp) and last.op == "+"
    assert isinstance(last.right, ast.BinOp) and last.right.op == "*"
    assert isinstance(last.right.right, ast.Neg)


def test_for_binds_looser_than_sum():
    tree = parse("x for 2 + 3")
    assert isinstance(tree, ast.For)
    assert str(tree.steps) == "2 + 3"


def test_comments_and_newlines_ignored():
    text = "warmup(5ep, peak)   # linear warmup\n  >> 0.1  # then hold\n"
    tree = parse(text)
    assert str(tree) == "warmup(5ep, peak) >> 0.1"


def test_spans_are_one_based():
    tree = parse("a >>\n  warmup(1, 2)")
    call = tree.parts[1]
    assert (call.span.line, call.span.column) == (2, 3)
    assert (call.span.end_line, call.span.end_column) == (2, 15)
    assert (call.name_span.column, call.name_span.end_column) == (3, 9)


def test_number_literals():
    tree = parse("[7, 2.5, 1e-3, .5]")
    values = [item.value for item in tree.items]
    assert values == [7, 2.5, 0.001, 0.5]
    assert isinstance(values[0], int)


def test_quantity_splits_number_and_unit():
    for text, number, unit in [
        ("5ep", "5", "ep"),
        ("2.5ep", "2.5", "ep"),
        ("10%", "10", "%"),
        ("1e3ep", "1e3", "ep"),
        ("5epochs", "5", "epochs"),
    ]:
        node = parse(text)
        assert isinstance(node, ast.Quantity)
        assert (node.text, node.unit) == (number, unit)


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        ("warmup(500", "expected ')' to close 'warmup(' opened at 1:1", 11),
        ("warmup(500,, 1)", "unexpected ','", 12),
        ("1 +", "missing its right operand, got the end of the text", 4),
        ("lr.cosine(1)", "lrdsl has no attribute access", 3),
        ("x = 1", "unexpected '='", 3),
        ("", "empty schedule text", 1),
        ("  # just a comment", "empty schedule text", 1),
        ("f(a=1, 2)", "positional argument follows keyword argument", 8),
        ("1e999", "too large for a 64-bit float", 1),
    ],
)
def test_syntax_errors(text, fragment, column):
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile(text)
    assert fragment in str(info.value)
    assert info.value.column == column
    assert isinstance(info.value, lrdsl.LrdslError)


def test_syntax_error_renders_caret():
    with pytest.raises(lrdsl.LrdslSyntaxError) as info:
        lrdsl.compile("warmup(500,, 1)")
    lines = str(info.value).splitlines()
    assert lines[1] == "  warmup(500,, 1)"
    assert lines[2] == "             ^"


def test_nesting_limit():
    with pytest.raises(lrdsl.LrdslSyntaxError, match="nest deeper than"):
        lrdsl.compile("(" * 20_000 + "1" + ")" * 20_000)


def test_long_chain_flattens_without_depth_limit():
    text = " >> ".join(["warmup(1, 0.1)"] * 1000)
    f = lrdsl.compile(text)
    assert f.duration == 1000


def test_source_size_limit():
    with pytest.raises(lrdsl.LrdslSyntaxError, match="the limit is"):
        lrdsl.compile("1" * 70_000)


def test_text_must_be_str():
    with pytest.raises(lrdsl.LrdslSyntaxError, match="must be a str"):
        lrdsl.compile(b"warmup(1, 1)")


# Units and exact folding.


def test_units_exact():
    f = lrdsl.compile(
        "warmup(10%, 1.0) for 5ep", steps_per_epoch=5005, total_steps=450450
    )
    assert f.duration == 5 * 5005
    ramp = lrdsl.compile("warmup(10%, 1.0)", total_steps=450450)
    assert ramp.duration == 45045


def test_units_round_down():
    f = lrdsl.compile("warmup(2.5ep, 1.0)", steps_per_epoch=3)
    assert f.duration == 7
    g = lrdsl.compile("warmup(33%, 1.0)", total_steps=10)
    assert g.duration == 3


def test_step_arithmetic_folds_exactly():
    f = lrdsl.compile(
        "warmup(total_steps - 5ep, 1.0)", steps_per_epoch=10, total_steps=100
    )
    assert f.duration == 50
    g = lrdsl.compile("warmup(0.1 * 30, 1.0)")
    assert g.duration == 3


@pytest.mark.parametrize(
    ("text", "kwargs", "error", "fragment"),
    [
        ("warmup(5ep, 1)", {}, lrdsl.UnitError, "needs steps_per_epoch"),
        ("warmup(5%, 1)", {}, lrdsl.UnitError, "needs total_steps"),
        ("warmup(1, 2ep)", {"steps_per_epoch": 3}, lrdsl.UnitError, "takes no unit"),
        ("warmup(5epochs, 1)", {}, lrdsl.UnitError, "unknown unit 'epochs'"),
        ("warmup(1.5, 1)", {}, lrdsl.ArgumentError, "whole number of steps"),
        ("warmup(0.1 * 3 * 10 + 0.5, 1)", {}, lrdsl.ArgumentError, "got 3.5"),
        (
            "warmup(total_steps / 3, 1)",
            {"total_steps": 10},
            lrdsl.ArgumentError,
            "whole number of steps",
        ),
        ("warmup(-1, 1)", {}, lrdsl.ArgumentError, "expected 0 <= steps <= 2**62"),
        ("warmup(2**63, 1)", {}, lrdsl.LrdslSyntaxError, "no power operator"),
        ("warmup(1, 1 / 0)", {}, lrdsl.ArgumentError, "division by zero"),
        ("warmup(1, 1) / 0", {}, lrdsl.ArgumentError, "division by zero"),
        ("warmup(1, 1e308 * 10)", {}, lrdsl.ArgumentError, "expected a finite number"),
        (
            "5ep",
            {"steps_per_epoch": 2},
            lrdsl.UnitError,
            "a schedule or a learning rate is expected",
        ),
    ],
)
def test_argument_errors(text, kwargs, error, fragment):
    with pytest.raises(error) as info:
        lrdsl.compile(text, **kwargs)
    assert fragment in str(info.value)


def test_unit_typo_suggests_ep():
    with pytest.raises(lrdsl.UnitError) as info:
        lrdsl.compile("warmup(5eq, 1)", steps_per_epoch=2)
    assert info.value.hint == "write 5ep"


def test_argument_errors_are_value_errors():
    with pytest.raises(ValueError):
        lrdsl.compile("warmup(-1, 1)")


# Names, calls and variables.


def test_unknown_schedule_suggests():
    with pytest.raises(lrdsl.UnknownNameError) as info:
        lrdsl.compile("warmp(1, 1)")
    assert "unknown schedule 'warmp'" in str(info.value)
    assert info.value.hint == "did you mean 'warmup'?"
    assert (info.value.column, info.value.end_column) == (1, 6)


def test_unknown_keyword_suggests():
    with pytest.raises(lrdsl.UnknownNameError) as info:
        lrdsl.compile("warmup(1, 1, strat=0.5)")
    assert "has no parameter 'strat'" in str(info.value)
    assert "did you mean 'start'?" in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("warmup(1)", "missing 'peak'"),
        ("warmup(1, 2, 3, 4)", "takes at most 3 arguments, got 4"),
        ("warmup(1, 2, steps=3)", "got 'steps' twice"),
        ("min(1)", "takes at least 2 arguments"),
        ("max(1, b=2)", "takes no keyword arguments"),
        ("warmup(1, 1) >> warmup", "'warmup' is a schedule; call it"),
        ("warmup(1, [1, 2])", "must be a number"),
        ('warmup(1, "a")', "must be a number"),
        ("warmup(1, 1) >> [1]", "expected a schedule, got the list [1]"),
        ("warmup(1, 1) >> true", "expected a schedule, got true"),
    ],
)
def test_call_errors(text, fragment):
    with pytest.raises(lrdsl.LrdslError) as info:
        lrdsl.compile(text)
    assert fragment in str(info.value)


def test_variables_bind_numbers_and_context():
    f = lrdsl.compile(
        "warmup(w, peak) >> peak / 10",
        variables={"w": 4, "peak": 0.5},
    )
    assert f(2) == 0.25
    assert f(4) == 0.05
    g = lrdsl.compile("warmup(steps_per_epoch, 1.0)", steps_per_epoch=8)
    assert g.duration == 8


def test_unknown_variable_suggests():
    with pytest.raises(lrdsl.UnknownNameError) as info:
        lrdsl.compile("warmup(1, paek)", variables={"peak": 0.1})
    assert info.value.hint == "did you mean 'peak'?"


@pytest.mark.parametrize(
    "variables",
    [{"x": math.nan}, {"x": math.inf}, {"x": object()}, {"1x": 1}, {"x-y": 1}],
)
def test_invalid_variables(variables):
    with pytest.raises(lrdsl.ArgumentError):
        lrdsl.compile("1", variables=variables)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"steps_per_epoch": 0},
        {"steps_per_epoch": 2.5},
        {"total_steps": -1},
        {"total_steps": True},
        {"total_steps": "100"},
    ],
)
def test_invalid_context(kwargs):
    with pytest.raises(lrdsl.ArgumentError):
        lrdsl.compile("1", **kwargs)


# Clocks, durations and composition.


def test_sequence_local_clocks():
    f = lrdsl.compile("warmup(4, 1.0) >> warmup(2, 3.0, start=1.0) >> 5")
    assert [f(s) for s in range(9)] == [0.0, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 5.0, 5.0]
    assert f.duration == math.inf


def test_sequence_half_open_boundaries():
    f = lrdsl.compile("1 for 3 >> 2 for 3 >> 3")
    assert [f(s) for s in (2, 3, 5, 6)] == [1.0, 2.0, 2.0, 3.0]


def test_zero_duration_segment_skipped():
    f = lrdsl.compile("warmup(0, 9.0) >> 1 for 0 >> warmup(2, 1.0)")
    assert f.duration == 2
    assert [f(s) for s in range(3)] == [0.0, 0.5, 1.0]
    assert lrdsl.compile("warmup(0, 0.3)")(0) == 0.3


def test_sequence_continues_last_segment():
    f = lrdsl.compile("1 for 2 >> warmup(4, 1.0)")
    assert f(100) == 1.0
    assert f.duration == 6


def test_global_reads_training_step():
    f = lrdsl.compile("1 for 10 >> global(warmup(20, 1.0))")
    assert f(10) == 0.5
    assert f(15) == 0.75


def test_for_sets_duration_not_values():
    f = lrdsl.compile("warmup(10, 1.0) for 4 >> 7")
    assert f(3) == 0.3
    assert f(4) == 7.0


def test_infinite_left_of_then():
    with pytest.raises(lrdsl.SemanticError) as info:
        lrdsl.compile("warmup(2, 1) >> 0.1 >> warmup(2, 1)")
    assert "has no end" in str(info.value)
    assert info.value.column == 17
    assert info.value.hint == "give it a duration: 0.1 for N"


def test_arithmetic_durations_take_minimum():
    f = lrdsl.compile("(warmup(4, 1.0) + warmup(6, 1.0)) >> 9")
    assert f(3) == 1.25
    assert f(4) == 9.0
    assert lrdsl.compile("warmup(4, 1.0) * 2").duration == 4
    assert lrdsl.compile("2 * 3").duration == math.inf


def test_min_max_clip():
    f = lrdsl.compile("min(warmup(10, 1.0), 0.5, 0.7)")
    assert f(2) == 0.2
    assert f(9) == 0.5
    g = lrdsl.compile("max(warmup(10, 1.0), 0.5)")
    assert g(2) == 0.5
    h = lrdsl.compile("clip(warmup(10, 1.0) * 2 - 0.5, 0.0, 1.0)")
    assert h(0) == 0.0
    assert h(5) == 0.5
    assert h(9) == 1.0


def test_negation_and_division_by_schedule():
    f = lrdsl.compile("-warmup(4, 1.0) + 2")
    assert f(2) == 1.5
    g = lrdsl.compile("1 / warmup(4, 1.0)")
    assert g(0) == math.inf
    assert math.isinf(g(np.arange(2))[0])


def test_sequence_duration_overflow():
    with pytest.raises(lrdsl.ArgumentError, match="2\\*\\*62"):
        lrdsl.compile(f"1 for {2**61} >> 1 for {2**61} >> 1 for 1 >> 1")


# Steps given to a compiled schedule.


@pytest.fixture(name="ramp")
def fixture_ramp():
    return lrdsl.compile("warmup(4, 1.0) >> 1 for 4 >> global(warmup(16, 2.0))")


def test_scalar_returns_python_float(ramp):
    assert type(ramp(3)) is float
    assert type(ramp(np.int64(3))) is float
    assert ramp(3.0) == ramp(3)


def test_array_keeps_shape_and_dtype(ramp):
    steps = np.arange(24).reshape(2, 3, 4)
    values = ramp(steps)
    assert values.shape == (2, 3, 4)
    assert values.dtype == np.float64
    assert values.flat[13] == ramp(13)


def test_array_matches_scalar_in_any_order(ramp):
    steps = np.array([20, 3, 0, 8, 4, 7, 16, 2, 9])
    expected = [ramp(int(s)) for s in steps]
    assert ramp(steps).tolist() == expected
    assert ramp(steps.astype(np.uint16)).tolist() == expected
    assert ramp(steps.astype(np.float32)).tolist() == expected
    assert ramp(list(steps)).tolist() == expected


def test_empty_and_zero_dim_arrays(ramp):
    assert ramp(np.array([], dtype=np.int64)).shape == (0,)
    zero_dim = ramp(np.array(5))
    assert zero_dim.shape == ()
    assert float(zero_dim) == ramp(5)


def test_steps_beyond_32_bits_are_exact():
    boundary = 2**40 + 1
    f = lrdsl.compile(f"1 for {boundary} >> 2")
    assert f(boundary - 1) == 1.0
    assert f(boundary) == 2.0
    values = f(np.array([boundary - 1, boundary], dtype=np.int64))
    assert values.tolist() == [1.0, 2.0]
    top = 2**62
    g = lrdsl.compile(f"1 for {top - 1} >> 2")
    assert g(top - 2) == 1.0
    assert g(top - 1) == 2.0
    assert g(np.array([top - 2, top - 1, top])).tolist() == [1.0, 2.0, 2.0]


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        (-1, "invalid step -1"),
        (2**62 + 1, "0 <= step <= 2**62"),
        (1.5, "invalid step 1.5"),
        (math.nan, "invalid step nan"),
        (math.inf, "invalid step inf"),
        (True, "a bool is not a step"),
        (np.bool_(False), "a bool is not a step"),
        ("3", "invalid step '3'"),
        (None, "invalid step None"),
        (1 + 2j, "invalid step (1+2j)"),
        (np.array([0, -2]), "invalid step -2"),
        (np.array([0.0, 0.5]), "invalid step 0.5"),
        (np.array([1.0, np.nan]), "invalid step nan"),
        (np.array([True]), "an array of bools is not steps"),
        (np.array(["a"]), "expected integers"),
        ([1, [2]], "invalid steps"),
    ],
)
def test_invalid_steps(ramp, step, fragment):
    with pytest.raises(lrdsl.StepError) as info:
        ramp(step)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_evaluation_is_pure(ramp):
    first = ramp(np.arange(30))
    ramp(7)
    ramp(np.array([29, 0]))
    assert np.array_equal(ramp(np.arange(30)), first)


def test_schedule_repr_and_text():
    f = lrdsl.compile("warmup(4,1.0)>>2")
    assert f.text == "warmup(4,1.0)>>2"
    assert repr(f) == "lrdsl.Schedule('warmup(4, 1.0) >> 2')"
    assert not f.is_layerwise


def test_keyword_synonym_suggested():
    with pytest.raises(lrdsl.UnknownNameError) as info:
        lrdsl.compile("exponential_decay(lr=0.1, decay_steps=2, decay_rate=0.5)")
    assert info.value.hint == "did you mean 'learning_rate'?"
    with pytest.raises(lrdsl.UnknownNameError) as info:
        lrdsl.compile("polynomial_decay(0.1, 10, end_lr=0.0)")
    assert info.value.hint == "did you mean 'end_learning_rate'?"
