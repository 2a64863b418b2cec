"""Shared fixtures: config files in a temporary directory, and the CLI in process."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lrdsl.cli import main


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes a config file and returns its path.

    Text is dedented first, so tests can indent YAML inside triple quotes;
    bytes are written unchanged.
    """

    def write(content: str | bytes, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8", newline="")
        return path

    return write


@dataclass
class CliResult:
    status: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Return a function that runs ``lrdsl ARGS...`` in process."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        status = main(list(args))
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return run
