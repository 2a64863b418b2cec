"""Validate schedule files for CI: errors, warnings and ``expect:`` checks.

``lrdsl check`` and :mod:`lrdsl.testing` run :func:`check_paths`. For each
file it reports, in this order of severity:

* errors: the file cannot be read or parsed, a schedule does not compile, an
  ``expect:`` section is malformed, or an expectation fails;
* warnings: the compile-time findings of ``Schedule.warnings`` and the
  findings of :mod:`lrdsl._analysis`, which evaluates the schedule.

The ``expect:`` checks are read and verified in :mod:`lrdsl._expect`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._api import compile
from ._config import Config, _read_text, load, load_key
from ._expect import MAX_CHECK_STEPS, check_expectations
from ._schedule import Schedule
from .errors import LrdslError, LrdslWarning, Source

try:
    from ._analysis import analyze, horizon_of
except ImportError:  # pragma: no cover - the analysis module is optional
    analyze = horizon_of = None

CHECKED_SUFFIXES = (".yaml", ".yml", ".lrdsl")


@dataclass(frozen=True)
class Options:
    """Settings shared by every checked file.

    Attributes:
      key: a dot-separated key path; YAML files are then training configs
        whose schedule text sits at that key, not lrdsl configs.
      steps_per_epoch, total_steps: override the config's values, and are the
        only source of them for ``.lrdsl`` files and ``key``.
      variables: values that override or extend the config's ``vars:``.
    """

    key: str | None = None
    steps_per_epoch: int | None = None
    total_steps: int | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, positioned in a file.

    Lines and columns are 1-based; ``end_line`` and ``end_column`` point just
    past the span. All four are ``None`` for a finding about the whole file.
    """

    file: str
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    severity: str
    message: str
    hint: str | None = None
    excerpt: str = ""

    @classmethod
    def from_located(cls, found: Any, severity: str, file: str) -> Diagnostic:
        """Build a diagnostic from an :class:`LrdslError` or ``LrdslWarning``."""
        return cls(
            file=found.filename or file,
            line=found.line,
            column=found.column,
            end_line=found.end_line,
            end_column=found.end_column,
            severity=severity,
            message=found.message,
            hint=found.hint,
            excerpt=found.excerpt(),
        )

    def render(self) -> str:
        """Return ``file:line:col: severity: message``, the excerpt and hint."""
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts += [str(self.line), str(self.column)]
        location = ":".join(parts)
        prefix = f"{location}: " if location else ""
        lines = [f"{prefix}{self.severity}: {self.message}"]
        if self.excerpt:
            lines.append(self.excerpt)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Report:
    """The outcome of checking some files: which, and what was found."""

    files: list[str]
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> int:
        return sum(found.severity == "error" for found in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(found.severity == "warning" for found in self.diagnostics)

    def failed(self, strict: bool = False) -> bool:
        """Return whether the files are invalid; with ``strict``, warnings count."""
        return self.errors > 0 or (strict and self.warnings > 0)

    def summary(self) -> str:
        return (
            f"checked {_plural(len(self.files), 'file')}: "
            f"{_plural(self.errors, 'error')}, {_plural(self.warnings, 'warning')}"
        )

    def render(self) -> str:
        """Return every diagnostic, then the summary line."""
        parts = [found.render() for found in self.diagnostics]
        return "\n".join([*parts, self.summary()]) + "\n"

    def as_json(self, strict: bool = False) -> dict[str, Any]:
        return {
            "files": self.files,
            "diagnostics": [found.as_json() for found in self.diagnostics],
            "summary": {
                "files": len(self.files),
                "errors": self.errors,
                "warnings": self.warnings,
                "valid": not self.failed(strict),
            },
        }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# Files.


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Return the files to check: each file, and each folder's files, in order.

    Folders are searched recursively for ``*.yaml``, ``*.yml`` and
    ``*.lrdsl``, skipping folders whose names start with a dot; their files
    are sorted by path. A file listed twice is checked once.

    Raises:
      FileNotFoundError: a path does not exist.
      ValueError: a listed file has another suffix, or a folder contains no
        file to check.
    """
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(_walk(path))
            if not files:
                raise ValueError(f"no .yaml, .yml or .lrdsl files in {path}")
            found.update(dict.fromkeys(files))
        elif path.exists():
            if path.suffix.lower() not in CHECKED_SUFFIXES:
                raise ValueError(
                    f"cannot check {path}: expected a .yaml, .yml or .lrdsl file"
                )
            found[path] = None
        elif path.is_symlink():
            # exists() is false for a broken or looping link, which is not
            # the same as a missing path.
            raise FileNotFoundError(
                f"cannot check {path}: it is a symbolic link to a missing file "
                "or a link loop"
            )
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return list(found)


def _walk(folder: Path) -> Iterator[Path]:
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if Path(name).suffix.lower() in CHECKED_SUFFIXES:
                yield Path(directory, name)


def check_paths(
    paths: Iterable[str | os.PathLike[str]], options: Options | None = None
) -> Report:
    """Check every file under ``paths`` (see :func:`collect_files`)."""
    options = options or Options()
    files = collect_files(paths)
    diagnostics = []
    for path in files:
        diagnostics += check_file(path, options)
    return Report([str(path) for path in files], diagnostics)


def check_file(path: Path, options: Options | None = None) -> list[Diagnostic]:
    """Return the errors and warnings of one file, sorted by position."""
    options = options or Options()
    file = str(path)
    diagnostics: list[Diagnostic] = []
    try:
        _check_loaded(_load(path, options), file, diagnostics)
    except LrdslError as error:
        diagnostics.append(Diagnostic.from_located(error, "error", file))
    except Exception as error:  # noqa: BLE001
        # NOTE: only a bug in lrdsl lands here. CI users get a report line
        # and exit status 1 instead of a traceback.
        diagnostics.append(_internal_error(error, file))
    diagnostics.sort(key=lambda found: (found.line or 0, found.column or 0))
    return diagnostics


def _check_loaded(loaded: _Loaded, file: str, diagnostics: list[Diagnostic]):
    """Append the warnings and failed expectations of a loaded file."""
    # The value analysis of all schedules of a file scans at most this many
    # steps in total, as the range checks of expect: do.
    # Each schedule gets an equal share, so a long first schedule cannot
    # leave the others unscanned.
    schedules = loaded.config.schedules
    share = MAX_CHECK_STEPS // max(1, len(schedules))
    for name, schedule in schedules.items():
        for warning in schedule.warnings:
            diagnostics.append(Diagnostic.from_located(warning, "warning", file))
        found, cut = _analyze(schedule, loaded.config, loaded.sources[name], share)
        for warning in found:
            diagnostics.append(Diagnostic.from_located(warning, "warning", file))
        if cut is not None:
            diagnostics.append(Diagnostic.from_located(cut, "note", file))
    for failure in check_expectations(loaded.config):
        diagnostics.append(Diagnostic.from_located(failure, "error", file))


def _internal_error(error: Exception, file: str) -> Diagnostic:
    return Diagnostic(
        file,
        None,
        None,
        None,
        None,
        "error",
        f"internal error while checking: {type(error).__name__}: {error}",
        "this is a bug in lrdsl; please report it with the file",
    )


@dataclass
class _Loaded:
    config: Config
    sources: dict[str, Source]


def _load(path: Path, options: Options) -> _Loaded:
    settings = {
        "steps_per_epoch": options.steps_per_epoch,
        "total_steps": options.total_steps,
        "variables": dict(options.variables),
    }
    # Warnings are collected from Schedule.warnings, not printed by Python.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrdslWarning)
        if path.suffix.lower() == ".lrdsl":
            return _load_text(path, **settings)
        if options.key is not None:
            config = load_key(path, options.key, **settings)
        else:
            config = load(path, **settings)
    return _Loaded(config, dict(config._origin.sources))


def _load_text(path: Path, **settings: Any) -> _Loaded:
    text = _read_text(path, "schedule file")
    source = Source(text, filename=str(path))
    schedule = compile(text, source=source, **settings)
    config = Config(
        path,
        steps_per_epoch=settings["steps_per_epoch"],
        total_steps=settings["total_steps"],
        variables=settings["variables"],
        schedules={"schedule": schedule},
    )
    return _Loaded(config, {"schedule": source})


def _analyze(
    schedule: Schedule, config: Config, source: Source, budget: int
) -> tuple[list[LrdslWarning], LrdslWarning | None]:
    """Return the analysis warnings of ``schedule`` and a note if it was cut.

    The scan covers ``[0, horizon)``, cut to ``budget`` steps. A cut scan
    returns a note that states where it stopped, because a negative rate
    past that point is not reported. Notes do not fail ``--strict``.
    """
    if analyze is None:
        return [], None
    horizon = horizon_of(schedule, config.total_steps)
    scanned = max(0, min(horizon, budget))
    try:
        found = analyze(schedule, scanned)
    except LrdslError as error:
        found = [LrdslWarning(f"analysis failed: {error.message}")]
    cut = None
    if scanned < horizon:
        cut = LrdslWarning(
            f"the value analysis stopped at step {scanned:,} of {horizon:,}, "
            f"because check scans at most {MAX_CHECK_STEPS:,} steps per "
            "file; the steps after it are not analyzed",
            span=schedule._root.span,
            hint="this is information about the check, not a problem with the schedule",
        )
        cut.with_source(source)
    for warning in found:
        # Analysis spans index the schedule text; place them in the file.
        if warning.source is None or warning.source.filename is None:
            warning.source = source
    return found, cut
