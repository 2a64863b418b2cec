"""Tests for lrdsl.testing, the helper for users' own test suites."""

from __future__ import annotations

from pathlib import Path

import pytest

import lrdsl.testing

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_examples_pass():
    checked = lrdsl.testing.check_configs(EXAMPLES)

    assert checked == sorted(EXAMPLES.glob("*.yaml"))


def test_invalid_file_raises_full_report(write_config):
    path = write_config(
        "total_steps: 10\nschedule: warmup(10, 0.1)\nexpect: {max: 0.05}\n"
    )

    with pytest.raises(AssertionError) as caught:
        lrdsl.testing.check_configs(path)

    assert str(caught.value) == (
        "lrdsl check failed:\n"
        f"{path}:3:10: error: expected lr <= 0.05 on steps [0, 10), got 0.06 at "
        "step 6, the first step above it\n"
        "  expect: {max: 0.05}\n"
        "           ^^^^^^^^^\n"
        "hint: the largest rate on [0, 10) is 0.09000000000000001, at step 9\n"
        "checked 1 file: 1 error, 0 warnings\n"
    )


def test_warnings_pass_unless_strict(write_config):
    path = write_config("schedule: piecewise_decay([30, 10], [1, 2, 3])\n")

    assert lrdsl.testing.check_configs(path) == [path]
    with pytest.raises(AssertionError, match="0 errors, 1 warning"):
        lrdsl.testing.check_configs(path, strict=True)


def test_settings_are_passed_on(write_config):
    path = write_config("optimizer: {lr: 'warmup(1ep, peak)'}\n", name="train.yaml")

    checked = lrdsl.testing.check_configs(
        path, key="optimizer.lr", steps_per_epoch=10, variables={"peak": 0.1}
    )

    assert checked == [path]


def test_missing_path_raises():
    with pytest.raises(FileNotFoundError, match="no such file or folder: nowhere"):
        lrdsl.testing.check_configs("nowhere")


def test_no_paths_raises():
    with pytest.raises(ValueError, match="at least one file or folder"):
        lrdsl.testing.check_configs()


def test_config_files_lists_each_file():
    files = lrdsl.testing.config_files(EXAMPLES)

    assert files == sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize(
    "path", lrdsl.testing.config_files(EXAMPLES), ids=lambda path: path.name
)
def test_parametrized_per_file(path):
    assert lrdsl.testing.check_configs(path) == [path]
