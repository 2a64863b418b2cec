"""Hostile inputs end in an LrdslError, never a traceback or a hang.

Each case also runs well under a second here; CI timing is not asserted
(docs/benchmarks.md is where speed is measured), but a hang would stall the
suite.
"""

import numpy as np
import pytest

import lrdsl

CASES = {
    "50,000 nested parentheses": "(" * 50_000 + "1" + ")" * 50_000,
    "30,000 nested parentheses": "(" * 30_000 + "1" + ")" * 30_000,
    "20,000 nested calls": "f(" * 20_000 + "1" + ")" * 20_000,
    "50,000-term sum": "+".join(["1"] * 50_000),
    "30,000-term sum": "+".join(["1"] * 30_000),
    "30,000 unary minus": "-" * 30_000 + "1",
    "a megabyte of digits": "1" * 1_000_000,
    "NUL bytes": "warmup(\x00500, 0.1)",
    "only NUL bytes": "\x00" * 1000,
    "1e309": "warmup(10, 1e309)",
    "nan literal": "warmup(10, nan)",
    "inf literal": "constant(inf)",
    "unbalanced brackets": ")" * 1000 + "(" * 1000,
    "huge integer": "warmup(" + "9" * 5000 + ", 0.1)",
    "huge exponent": "warmup(10, 1e99999999)",
    "long decimal": "warmup(10, 0." + "1" * 5000 + ")",
    "long quantity": "warmup(" + "1" * 5000 + "ep, 0.1)",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_hostile_text_raises_lrdsl_error(text):
    with pytest.raises(lrdsl.LrdslError) as info:
        lrdsl.compile(text)
    assert str(info.value)


def test_non_utf8_config(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"schedule: warmup(10, 0.1)\n# \xff\xfe\n")
    with pytest.raises(lrdsl.ConfigError) as info:
        lrdsl.load(path)
    assert "UTF-8" in str(info.value)


def test_yaml_alias_bomb(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for index in range(1, 12):
        previous = f"*a{index - 1}"
        lines.append(f"a{index}: &a{index} [{', '.join([previous] * 9)}]")
    lines.append("schedule: warmup(10, 0.1)")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(lrdsl.ConfigError):
        lrdsl.load(path)


def test_python_tag_rejected(tmp_path):
    path = tmp_path / "tag.yaml"
    path.write_text('schedule: !!python/object/apply:os.system ["true"]\n')
    with pytest.raises(lrdsl.ConfigError):
        lrdsl.load(path)


@pytest.mark.parametrize(
    "step",
    [
        10**30,
        2**63,
        -(2**63),
        np.uint64(2**63),
        np.float16(0.5),
        np.array([1, 2], dtype=object),
        np.array([2**63], dtype=np.uint64),
        np.array([1e300]),
        "7",
    ],
    ids=repr,
)
def test_hostile_steps_raise_step_error(step):
    f = lrdsl.compile("warmup(10, 0.1)")
    with pytest.raises(lrdsl.StepError):
        f(step)


def test_huge_integer_variable_rejected():
    with pytest.raises(lrdsl.ArgumentError, match="more than 308 digits"):
        lrdsl.compile("warmup(x, 0.1)", variables={"x": 10**5000})


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        (np.timedelta64(3), "a time is not a step"),
        (np.ma.masked_array([1, 2], mask=[False, True]), "masked steps"),
        ([[1], [2, 3]], "expected a rectangular array of integers"),
    ],
    ids=["timedelta", "masked", "ragged"],
)
def test_steps_that_numpy_would_convert(step, fragment):
    f = lrdsl.compile("warmup(10, 0.1)")
    with pytest.raises(lrdsl.StepError, match=fragment):
        f(step)


def test_unmasked_masked_array_accepted():
    f = lrdsl.compile("warmup(10, 0.1)")
    steps = np.ma.masked_array([1, 2], mask=[False, False])
    assert f(steps).tolist() == [f(1), f(2)]


@pytest.mark.parametrize("norm", ["1", 1 + 1j, True, None, [object()]], ids=repr)
def test_norms_must_be_real_numbers(norm):
    f = lrdsl.compile("lars(0.1)")
    with pytest.raises(
        lrdsl.ArgumentError, match="expected real numbers|expected numbers"
    ):
        f.local_lr(0, norm, 1.0)


def test_variable_conflicting_with_setting():
    with pytest.raises(lrdsl.ArgumentError, match="disagrees with total_steps=1000"):
        lrdsl.compile("1", total_steps=1000, variables={"total_steps": 500})
    f = lrdsl.compile("warmup(10%, 1)", variables={"total_steps": 100})
    assert f.duration == 10


@pytest.mark.parametrize(
    "variables",
    [5, [1, 2], {"b": [10, [20]]}],
    ids=["int", "list", "nested list"],
)
def test_invalid_variable_containers(variables):
    with pytest.raises(lrdsl.ArgumentError):
        lrdsl.compile("1", variables=variables)


def test_recursive_and_exponential_lists_fail_fast():
    recursive = []
    recursive.append(recursive)
    with pytest.raises(lrdsl.ArgumentError, match="nested list"):
        lrdsl.compile("1", variables={"x": recursive})
    bomb = [1] * 9
    for _ in range(9):
        bomb = [bomb] * 9
    with pytest.raises(lrdsl.ArgumentError, match="nested list"):
        lrdsl.compile("1", variables={"x": bomb})


def test_tiny_and_huge_exponents():
    assert lrdsl.compile("1e-99999999")(0) == 0.0
    with pytest.raises(lrdsl.ArgumentError, match="too large for a 64-bit float"):
        lrdsl.compile("warmup(10, " + " * ".join(["1e308"] * 15) + ")")
