"""Check schedule configs from a project's own test suite.

One test validates a whole folder, as ``lrdsl check`` does::

    import lrdsl.testing

    def test_lr_configs():
        lrdsl.testing.check_configs("configs/")

For one test per file, parametrize over :func:`config_files`::

    import pytest

    @pytest.mark.parametrize("path", lrdsl.testing.config_files("configs/"))
    def test_lr_config(path):
        lrdsl.testing.check_configs(path)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._check import Options, check_paths, collect_files

__all__ = ["check_configs", "config_files"]

PathLike = str | os.PathLike[str]


def check_configs(
    *paths: PathLike,
    strict: bool = False,
    key: str | None = None,
    steps_per_epoch: int | None = None,
    total_steps: int | None = None,
    variables: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Check config files as ``lrdsl check PATH...`` does, for a test suite.

    Args:
      paths: files (``.yaml``, ``.yml``, ``.lrdsl``) or folders, searched
        recursively.
      strict: fail on warnings too, as ``--strict`` does.
      key: read YAML files as training configs whose schedule text is at
        this dot-separated key path, as ``--key`` does.
      steps_per_epoch, total_steps, variables: override the configs' values,
        as ``--steps-per-epoch``, ``--total-steps`` and ``--var`` do.

    Returns:
      The checked files, in the order they were checked.

    Raises:
      AssertionError: a file is invalid (or has a warning, with ``strict``).
        The message is the full ``lrdsl check`` report.
      FileNotFoundError: a path does not exist.
      ValueError: no paths were given, a listed file is not ``.yaml``,
        ``.yml`` or ``.lrdsl``, or a folder contains no such file.
    """
    if not paths:
        raise ValueError("check_configs needs at least one file or folder")
    options = Options(
        key=key,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        variables=dict(variables or {}),
    )
    report = check_paths(paths, options)
    if report.failed(strict=strict):
        raise AssertionError("lrdsl check failed:\n" + report.render())
    return [Path(file) for file in report.files]


def config_files(*paths: PathLike) -> list[Path]:
    """Return the files :func:`check_configs` would check, for parametrizing.

    Raises:
      FileNotFoundError: a path does not exist.
      ValueError: a listed file has another suffix, or a folder contains no
        file to check.
    """
    return collect_files(paths)
