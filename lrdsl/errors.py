"""The lrdsl exception tree and the caret excerpts that point into the source.

Every error lrdsl raises is an :class:`LrdslError`. Errors about DSL text carry
a :class:`Span` and render the offending source line with a caret under it::

    config.yaml:5:24: unknown schedule 'cosne'
      schedule: warmup(5ep, peak) >> cosne(peak, 85ep)
                                     ^^^^^
    hint: did you mean 'cosine'?
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "ConfigError",
    "LrdslError",
    "LrdslSyntaxError",
    "LrdslWarning",
    "SemanticError",
    "Span",
    "StepError",
    "UnitError",
    "UnknownNameError",
]


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of the schedule text.

    ``line`` and ``column`` are 1-based and point at the first character;
    ``end_line`` and ``end_column`` point just past the last one, as lark
    reports them.
    """

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def at(cls, text: str, start: int, end: int | None = None) -> Span:
        """Build the span of ``text[start:end]`` from character offsets."""
        end = start if end is None else end
        line, column = _line_column(text, start)
        end_line, end_column = _line_column(text, end)
        return cls(start, end, line, column, end_line, end_column)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# Maps a character offset of the schedule text to (line, column) in the file
# that contains it. The YAML loader supplies one for schedules in configs.
Locator = Callable[[int], tuple[int, int]]


@dataclass(frozen=True)
class Source:
    """Schedule text, where it came from, and how to find it in that file."""

    text: str
    filename: str | None = None
    locate: Locator | None = None
    file_lines: tuple[str, ...] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of ``offset`` in the file."""
        if self.locate is not None:
            return self.locate(offset)
        return _line_column(self.text, offset)

    def line_text(self, line: int) -> str:
        lines = self.file_lines
        if lines is None:
            lines = tuple(self.text.split("\n"))
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return ""


class Located:
    """A message about a span of schedule text, rendered with a caret excerpt.

    Attributes:
      message: what went wrong, without position or excerpt.
      span: the part of the schedule text at fault, or ``None``.
      hint: a suggested fix, or ``None``.
      filename: the file that contains the schedule text, or ``None``.
      line, column, end_line, end_column: 1-based position of the span in
        that file (or in the text when there is no file), or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        span: Span | None = None,
        hint: str | None = None,
        source: Source | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source = source

    def with_source(self, source: Source):
        """Attach the text the span refers to, unless one is attached."""
        if self.source is None:
            self.source = source
        return self

    @property
    def filename(self) -> str | None:
        return self.source.filename if self.source else None

    @property
    def line(self) -> int | None:
        return self._position(start=True)[0]

    @property
    def column(self) -> int | None:
        return self._position(start=True)[1]

    @property
    def end_line(self) -> int | None:
        return self._position(start=False)[0]

    @property
    def end_column(self) -> int | None:
        return self._position(start=False)[1]

    def _position(self, *, start: bool) -> tuple[int | None, int | None]:
        if self.span is None:
            return None, None
        if self.source is None:
            if start:
                return self.span.line, self.span.column
            return self.span.end_line, self.span.end_column
        return self.source.position(self.span.start if start else self.span.end)

    def location(self) -> str:
        """Return ``file:line:col``, ``line:col`` or ``file``, as known."""
        parts = []
        if self.filename:
            parts.append(self.filename)
        if self.line is not None:
            parts += [str(self.line), str(self.column)]
        return ":".join(parts)

    def excerpt(self) -> str:
        """Return the source line of the span with carets under the span."""
        if self.span is None or self.line is None:
            return ""
        source = self.source or Source("")
        text = source.line_text(self.line) if self.source else ""
        if not text and self.source is None:
            return ""
        start = self.column - 1
        if self.end_line == self.line:
            width = max(1, self.end_column - self.column)
        else:
            width = max(1, len(text) - start)
        if len(text) > MAX_EXCERPT_CHARS:
            text, start, width = _window(text, start, width)
        # One printable character per source character keeps the caret aligned.
        shown = "".join(_printable(char) for char in text)
        return f"  {shown}\n  {' ' * start}{'^' * width}"

    def __str__(self) -> str:
        location = self.location()
        lines = [f"{location}: {self.message}" if location else self.message]
        excerpt = self.excerpt()
        if excerpt:
            lines.append(excerpt)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


# Longer source lines are cut to a window around the span, marked with "...".
MAX_EXCERPT_CHARS = 100


def _window(text: str, start: int, width: int) -> tuple[str, int, int]:
    """Cut ``text`` to about MAX_EXCERPT_CHARS around ``[start, start+width)``."""
    first = max(0, start - 30)
    last = min(len(text), first + MAX_EXCERPT_CHARS)
    prefix = "..." if first > 0 else ""
    suffix = "..." if last < len(text) else ""
    width = max(1, min(width, last - start))
    return prefix + text[first:last] + suffix, start - first + len(prefix), width


def _printable(char: str) -> str:
    if char.isprintable():
        return char
    if char == "\t":
        return " "
    return "?"


class LrdslError(Located, Exception):
    """Root of every error lrdsl raises."""


class LrdslSyntaxError(LrdslError):
    """The schedule text does not follow the grammar."""


class SemanticError(LrdslError):
    """The text parses but does not describe a valid schedule."""


class UnknownNameError(SemanticError):
    """A schedule, keyword argument or variable name is not defined."""


class ArgumentError(SemanticError, ValueError):
    """An argument breaks its parameter's rule (``0 < decay_steps``)."""


class UnitError(ArgumentError):
    """A unit (``ep``, ``%``) is unknown, misplaced or lacks its context."""


class ConfigError(LrdslError, ValueError):
    """A YAML config is malformed or has unknown or duplicate keys."""


class StepError(LrdslError, ValueError):
    """A step passed to a compiled schedule is not a whole number >= 0."""


class LrdslWarning(Located, UserWarning):
    """A legal schedule that is probably not what its author meant.

    Compiling emits these with :func:`warnings.warn` and keeps them in
    ``Schedule.warnings``; ``lrdsl check`` lists them.
    """


class _ShortRepr(reprlib.Repr):
    """reprlib with a cap on integers: repr() fails past 4300 digits."""

    def repr_int(self, x, level):
        if x.bit_length() > 256:
            return f"<an integer of {x.bit_length()} bits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 3


def show(value) -> str:
    """Return a short repr of ``value`` for messages, safe on huge inputs.

    Long strings and containers are cut with ``...``, nested and recursive
    containers stop after a few levels, and huge integers are described.
    """
    return _SHORT.repr(value)


# Spellings that mean the same across frameworks, tried before fuzzy matching
# ("end_learning_rate" in Paddle's classics is "end_lr" in its 2.x classes).
_SYNONYMS = (("learning_rate", "lr"),)


def _normalize(name: str) -> str:
    for long, short in _SYNONYMS:
        name = name.replace(long, short)
    return name


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Return a "did you mean" hint for ``name``, or ``None``."""
    candidates = sorted(set(candidates))
    same = [c for c in candidates if c != name and _normalize(c) == _normalize(name)]
    matches = same or difflib.get_close_matches(name, candidates, n=3)
    if not matches:
        return None
    quoted = " or ".join(repr(match) for match in matches)
    return f"did you mean {quoted}?"
