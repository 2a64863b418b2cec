"""Load YAML configs, keeping the file position of every schedule character.

A config contains one schedule or several named ones::

    steps_per_epoch: 5005
    total_steps: 450450
    vars: {peak: 0.1}
    schedule: |
      warmup(5ep, peak)          # linear warmup
      >> cosine(peak, 85ep)

The file is read with ``yaml.SafeLoader`` semantics, with changes taken
from YAML 1.2. A plain scalar such as ``1e-3`` is a float, not a string.
Numbers that YAML 1.1 reads in another base are errors in the values the
loader reads (all but the schedule text): ``010`` (octal 8), ``0x10``,
``0b10``, ``1_000`` and ``1:30`` (base 60, so 90). Duplicate keys (at any
depth) and unknown top-level keys are errors, and so are keys of one mapping
that differ in text but not in value (``5`` and ``5.0``). A file contains at
most MAX_YAML_NODES values, each alias counted as a copy of its value.

An error in a schedule reports the line and column of the offending
character in the YAML file, whatever the scalar style (plain, quoted, ``|``
or ``>``).
"""

from __future__ import annotations

import bisect
import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.scanner import Scanner

from ._api import _variables, compile
from ._resolve import MAX_STEP
from ._schedule import Schedule
from .errors import ArgumentError, ConfigError, Source, Span, show, suggest

__all__ = ["Config", "load", "load_key", "parse_variable"]

# Configs are written by hand, and pure-Python YAML parsing is slow (an
# estimate: a few seconds per megabyte), so larger files are rejected unread.
MAX_CONFIG_BYTES = 1_000_000

# The maximum number of YAML values (scalars, lists and mappings) in a file,
# each alias counted as a copy of the value it refers to.
MAX_YAML_NODES = 100_000

# Integers in a config are decimal and at most this long, because no float64
# needs more digits and Python refuses to convert more than 4300.
MAX_INT_DIGITS = 400
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")

TOP_LEVEL_KEYS = (
    "expect",
    "schedule",
    "schedules",
    "steps_per_epoch",
    "total_steps",
    "vars",
)

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _NodeLimitError(Exception):
    """The YAML expands to too many nodes; raised at the parser ``event``."""

    def __init__(self, message: str, event: yaml.Event, hint: str):
        super().__init__(message)
        self.message = message
        self.event = event
        self.hint = hint


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that also reads exponent floats without a dot (``1e-3``).

    Composing counts nodes, each alias as the number of nodes its anchored
    value contains, and stops at MAX_YAML_NODES. A few hundred bytes of
    nested aliases can otherwise stand for billions of nodes, which anything
    that walks the constructed value (a check, a ``repr``) would visit.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self.node_count = 0
        # Nodes of each anchored value, with its aliases expanded, by node id.
        self.anchored_sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                size = self.anchored_sizes.get(id(anchored))
                if size is None:
                    raise _NodeLimitError(
                        f"the alias *{event.anchor} is inside the value it "
                        "refers to, which makes the value infinite",
                        event,
                        f"remove *{event.anchor} from the value of &{event.anchor}",
                    )
                self._count(size, event)
            return super().compose_node(parent, index)
        first = self.node_count
        self._count(1, event)
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.anchored_sizes[id(node)] = self.node_count - first
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self.node_count += nodes
        if self.node_count > MAX_YAML_NODES:
            raise _NodeLimitError(
                f"the YAML has more than {MAX_YAML_NODES:,} values, counting "
                "each alias as a copy of the value it refers to",
                event,
                "write the values out, or use fewer aliases of large values",
            )


_Loader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


class Config:
    """A loaded config: its compiled schedules and the settings they share.

    Attributes:
      path: the config file.
      steps_per_epoch: the ``steps_per_epoch`` the schedules were compiled
        with, or ``None``.
      total_steps: the ``total_steps`` they were compiled with, or ``None``.
      variables: the values bound to names in the schedules (``vars:``).
      schedules: the compiled schedules by name, in file order. A file with a
        single ``schedule:`` key has one, named ``"schedule"``.
      expect: the raw ``expect:`` section (a dict or a list), or ``None``.
    """

    def __init__(
        self,
        path: Path,
        *,
        steps_per_epoch: int | None,
        total_steps: int | None,
        variables: dict[str, Any],
        schedules: dict[str, Schedule],
        expect: Any = None,
    ):
        self.path = path
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = total_steps
        self.variables = variables
        self.schedules = schedules
        self.expect = expect
        # Set by load(): the YAML nodes that `lrdsl check` reads expect: from.
        self._origin: _Origin | None = None

    @property
    def schedule(self) -> Schedule:
        """The config's only schedule; a ConfigError if it has several."""
        if len(self.schedules) == 1:
            return next(iter(self.schedules.values()))
        names = ", ".join(repr(name) for name in self.schedules)
        first = next(iter(self.schedules))
        raise ConfigError(
            f"the config has {len(self.schedules)} schedules ({names}), "
            "so it has no single schedule",
            hint=f"select one by name, for example config[{first!r}]",
            source=Source("", filename=str(self.path)),
        )

    def __getitem__(self, name: str) -> Schedule:
        """Return the schedule called ``name``."""
        if isinstance(name, str) and name in self.schedules:
            return self.schedules[name]
        names = ", ".join(repr(known) for known in self.schedules)
        hint = suggest(name, self.schedules) if isinstance(name, str) else None
        raise ConfigError(
            f"no schedule named {show(name)}; the config has {names}",
            hint=hint,
            source=Source("", filename=str(self.path)),
        )

    def __repr__(self) -> str:
        return f"lrdsl.Config({str(self.path)!r}, schedules={list(self.schedules)})"


def load(
    path: str | os.PathLike[str],
    *,
    steps_per_epoch: int | None = None,
    total_steps: int | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Config:
    """Load a YAML config file and compile its schedules.

    Args:
      path: the ``.yaml`` file.
      steps_per_epoch: overrides the file's ``steps_per_epoch``.
      total_steps: overrides the file's ``total_steps``.
      variables: values that override or extend the file's ``vars:``.

    Returns:
      The :class:`Config`, with every schedule compiled.

    Raises:
      ConfigError: ``path`` is not a path, or the file is missing, not a
        regular file, unreadable, not UTF-8, not valid YAML, too large, or
        has duplicate, unknown or mistyped keys.
      LrdslError: a schedule is invalid; the error points into the file.
    """
    path = _as_path(path)
    document = _Document(str(path), _read_text(path))
    root = document.compose()
    sections = document.top_level(root)

    # The file's values are checked even where an argument overrides them.
    counts = {
        name: document.step_count(name, sections[name])
        for name in ("steps_per_epoch", "total_steps")
        if name in sections
    }
    if steps_per_epoch is None:
        steps_per_epoch = counts.get("steps_per_epoch")
    if total_steps is None:
        total_steps = counts.get("total_steps")
    bound = document.variables(sections["vars"]) if "vars" in sections else {}
    bound.update(_variables(variables))
    expect = document.expect(sections["expect"]) if "expect" in sections else None

    schedules = {}
    sources = {}
    for name, node in document.schedule_nodes(sections):
        sources[name] = document.scalar_source(node)
        schedules[name] = compile(
            node.value,
            steps_per_epoch=steps_per_epoch,
            total_steps=total_steps,
            variables=bound,
            source=sources[name],
        )
    config = Config(
        path,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        variables=bound,
        schedules=schedules,
        expect=expect,
    )
    config._origin = _Origin(
        document, sections.get("expect"), "schedules" in sections, sources
    )
    return config


def load_key(
    path: str | os.PathLike[str],
    key: str,
    *,
    steps_per_epoch: int | None = None,
    total_steps: int | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Config:
    """Compile the schedule text found at a key path of any YAML file.

    The file is a larger training config, so its other keys are not read:
    ``steps_per_epoch``, ``total_steps`` and ``variables`` come from the
    arguments alone. Errors in the schedule point into the file.

    Args:
      path: the YAML file.
      key: dot-separated keys from the root, such as
        ``"optimizer.lr_schedule"``. A whole-number part indexes a list.
      steps_per_epoch, total_steps, variables: as for :func:`load`.

    Returns:
      A :class:`Config` with one schedule, named ``key``.

    Raises:
      ConfigError: the file cannot be read or parsed, the key path is not in
        it, or its value is not schedule text.
      LrdslError: the schedule is invalid; the error points into the file.
    """
    path = _as_path(path)
    if not isinstance(key, str):
        raise ConfigError(
            f"the key path must be a string such as 'optimizer.lr', got {show(key)}"
        )
    document = _Document(str(path), _read_text(path))
    node = document.find_key(document.compose(), key)
    source = document.scalar_source(node)
    schedule = compile(
        node.value,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        variables=variables,
        source=source,
    )
    config = Config(
        path,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        variables=_variables(variables),
        schedules={key: schedule},
    )
    config._origin = _Origin(document, None, False, {key: source})
    return config


def parse_variable(assignment: str) -> tuple[str, Any]:
    """Parse ``NAME=VALUE``, reading VALUE as YAML, as under ``vars:``.

    Raises:
      ValueError: the assignment has no ``=``, VALUE is not valid YAML, or the
        name or value is not a valid variable.
    """
    name, equals, text = assignment.partition("=")
    name = name.strip()
    if not equals:
        raise ValueError(f"expected NAME=VALUE, got {show(assignment)}")
    # VALUE is checked as the values under vars: are, with the same number
    # forms and the same limits on size and aliases.
    document = _Document(None, text)
    try:
        node = document.compose_node()
    except ConfigError as error:
        raise ValueError(
            f"invalid value {show(text)} for variable {show(name)}: {error.message}"
        ) from None
    value = None
    if node is not None:
        try:
            value = document.construct(node, f"variable {show(name)}")
        except ConfigError as error:
            raise ValueError(error.message) from None
    try:
        checked = _variables({name: value})
    except ArgumentError as error:
        raise ValueError(error.message) from None
    return name, checked[name]


def _as_path(path: Any) -> Path:
    """Return ``path`` as a Path, or raise ConfigError if it is not a path."""
    try:
        name = os.fspath(path)
    except TypeError:
        name = None
    if not isinstance(name, str):
        raise ConfigError(
            f"expected a path (str or os.PathLike), got {show(path)}",
            hint="pass the file name as a str, not as bytes",
        )
    if "\0" in name:
        raise ConfigError(f"invalid path {show(name)}: it contains a NUL character")
    return Path(name)


class _NotRegularFileError(OSError):
    """The path names a FIFO, a device or a socket, not a regular file."""


def _read_text(path: Path, kind: str = "config file") -> str:
    """Read a UTF-8 file of at most MAX_CONFIG_BYTES bytes; breaks become "\\n".

    ``kind`` names the file in messages: "config file" or "schedule file".
    """
    file_source = Source("", filename=str(path))
    try:
        data = _read_regular_file(path, MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{kind} not found", source=file_source) from None
    except IsADirectoryError:
        raise ConfigError(f"is a directory, not a {kind}", source=file_source) from None
    except _NotRegularFileError:
        raise ConfigError(
            f"is not a regular file (it is a FIFO, a device or a socket), so "
            f"it cannot be read as a {kind}",
            source=file_source,
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot read the {kind}: {error.strerror or error}",
            source=file_source,
        ) from None
    except ValueError:
        # open() raises ValueError for a path with a NUL character.
        raise ConfigError(
            "invalid path: it contains a NUL character", source=file_source
        ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"the {kind} is larger than {MAX_CONFIG_BYTES} bytes",
            source=file_source,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigError(
            f"invalid UTF-8 byte {data[error.start : error.start + 1]!r} "
            f"at line {line}, column {column}",
            hint=f"save the {kind} as UTF-8",
            source=file_source,
        ) from None
    # YAML reads each of these as a line break. Making them all "\n" keeps
    # the marks of the YAML parser in step with the lines shown in errors.
    for line_break in ("\r\n", "\r", "\x85", "\u2028", "\u2029"):
        text = text.replace(line_break, "\n")
    return text


def _read_regular_file(path: Path, limit: int) -> bytes:
    """Return the first ``limit`` bytes of a regular file.

    The file is opened without blocking and checked before reading, so a
    FIFO with no writer is rejected rather than waited on.

    Raises:
      IsADirectoryError, _NotRegularFileError: ``path`` is not a regular file.
      OSError: the file cannot be opened or read.
    """
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_BINARY"):
        flags |= getattr(os, name, 0)
    descriptor = os.open(path, flags)
    with open(descriptor, "rb", closefd=True) as file:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise _NotRegularFileError(path)
        return file.read(limit)


class _Origin:
    """The YAML origin of a loaded config: the nodes behind its sections.

    Attributes:
      document: the parsed file, for errors that point into it.
      expect_node: the value node of ``expect:``, or ``None``.
      named: whether the file uses ``schedules:`` (expect: is then keyed by
        schedule name) rather than ``schedule:``.
      sources: the Source of each schedule's text, by schedule name.
    """

    def __init__(
        self,
        document: _Document,
        expect_node: Node | None,
        named: bool,
        sources: dict[str, Source],
    ):
        self.document = document
        self.expect_node = expect_node
        self.named = named
        self.sources = sources


class _Document:
    """One config file's text, its YAML nodes, and errors that point into it."""

    def __init__(self, filename: str | None, text: str):
        self.filename = filename
        self.text = text
        self.lines = tuple(text.split("\n"))
        self.line_starts = [0]
        for line in self.lines[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.source = Source(text, filename=filename, file_lines=self.lines)
        self.loader: _Loader | None = None
        # Ids of the nodes _check_values has accepted.
        self.checked: set[int] = set()

    def error(
        self, message: str, node: Node | None = None, hint: str | None = None
    ) -> ConfigError:
        span = None
        if node is not None:
            span = Span.at(self.text, node.start_mark.index, node.end_mark.index)
        return ConfigError(message, span=span, hint=hint, source=self.source)

    # Parsing.

    def compose(self) -> MappingNode:
        """Parse the text into YAML nodes: a mapping with no duplicate keys."""
        root = self.compose_node()
        if root is None:
            raise self.error(
                "the config is empty", hint="add a 'schedule:' or 'schedules:' key"
            )
        if not isinstance(root, MappingNode):
            raise self.error(
                f"the config must be a mapping of keys, got {_describe(root)}", root
            )
        return root

    def compose_node(self) -> Node | None:
        """Parse the text into YAML nodes, or ``None`` for an empty document."""
        try:
            self.loader = _Loader(self.text)
            root = self.loader.get_single_node()
        except _NodeLimitError as error:
            start = min(error.event.start_mark.index, len(self.text))
            end = min(max(error.event.end_mark.index, start + 1), len(self.text))
            span = Span.at(self.text, start, end)
            raise ConfigError(
                error.message, span=span, hint=error.hint, source=self.source
            ) from None
        except yaml.MarkedYAMLError as error:
            raise self._yaml_error(error) from None
        except yaml.reader.ReaderError as error:
            raise self._reader_error(error) from None
        except RecursionError:
            raise self.error("the YAML is nested too deeply") from None
        if root is not None:
            self._check_duplicates(root)
        return root

    def _yaml_error(self, error: yaml.MarkedYAMLError) -> ConfigError:
        # PyYAML phrases context and problem as one sentence: "while parsing a
        # flow sequence ..., expected ',' or ']', but got '<stream end>'".
        message = f"invalid YAML: {error.problem}"
        hint = None
        if _MERGE_TAG in (error.problem or ""):
            # PyYAML's safe constructor describes a merge key it cannot apply
            # in terms of tags, so the message names the '<<' key instead.
            message = "invalid YAML: a merge key '<<' is not supported here"
            hint = "write the keys out instead of merging them"
        elif error.context and error.context_mark is not None:
            context = f"{error.context} (line {error.context_mark.line + 1})"
            message = f"invalid YAML: {context}, {error.problem}"
        mark = error.problem_mark or error.context_mark
        span = None
        if mark is not None:
            start = min(mark.index, len(self.text))
            span = Span.at(self.text, start, min(start + 1, len(self.text)))
        return ConfigError(message, span=span, source=self.source, hint=hint)

    def _reader_error(self, error: yaml.reader.ReaderError) -> ConfigError:
        # The reader reports a character YAML forbids (a control character).
        span = Span.at(self.text, error.position, error.position + 1)
        return ConfigError(
            f"invalid YAML: the character {chr(error.character)!r} is not allowed",
            span=span,
            source=self.source,
            hint="remove it, or write it as an escape in a double-quoted string",
        )

    def _check_duplicates(self, root: Node) -> None:
        seen_nodes = set()
        pending = [root]
        while pending:
            node = pending.pop()
            if id(node) in seen_nodes or isinstance(node, ScalarNode):
                continue
            seen_nodes.add(id(node))
            if isinstance(node, SequenceNode):
                pending.extend(node.value)
                continue
            first_lines: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                pending.extend((key, value))
                if not isinstance(key, ScalarNode) or key.value == "<<":
                    continue
                identity = (key.tag, key.value)
                if identity in first_lines:
                    raise self.error(
                        f"duplicate key {show(key.value)} "
                        f"(first defined on line {first_lines[identity]})",
                        key,
                    )
                first_lines[identity] = key.start_mark.line + 1

    def construct(self, node: Node, where: str) -> Any:
        """Return the Python value of ``node``, the value at ``where``.

        Its numbers and keys are checked first (see :meth:`_check_values`).
        """
        self._check_values(node, where)
        return self._construct(node, where)

    def _construct(self, node: Node, where: str) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as error:
            raise self._yaml_error(error) from None
        except RecursionError:
            raise self.error("the YAML is nested too deeply", node) from None
        except (ValueError, OverflowError, KeyError, IndexError, TypeError):
            # A scalar that does not fit its tag: a date such as 2024-02-30,
            # or an explicit tag such as !!bool "1" or !!float "x".
            kind = node.tag.rsplit(":", 1)[-1]
            shown = show(node.value) if isinstance(node, ScalarNode) else "the value"
            raise self.error(f"{where}: {shown} is not a valid {kind}", node) from None

    # Values: numbers in decimal and keys that stay distinct in Python.

    def _check_values(self, root: Node, where: str) -> None:
        """Reject numbers YAML 1.1 reads in another base, and equal keys.

        YAML 1.1 silently reads ``010`` as octal 8, ``1:30`` as 90 and
        ``1_000`` as 1000. So integers must be decimal (``[-+]?[0-9]+``
        without leading zeros) and at most MAX_INT_DIGITS long. Keys of one
        mapping that differ in text but are equal in Python (``5`` and
        ``5.0``, ``1`` and ``true``) would become one dict key, so the
        second is an error.
        """
        pending = [root]
        while pending:
            node = pending.pop()
            if id(node) in self.checked:
                continue
            self.checked.add(id(node))
            if isinstance(node, ScalarNode):
                self._check_number(node, where)
                # Constructing each scalar here places its errors at it.
                self._construct(node, where)
            elif isinstance(node, SequenceNode):
                pending.extend(node.value)
            elif isinstance(node, MappingNode):
                for key, value in node.value:
                    if isinstance(key, ScalarNode):
                        self._check_number(key, where)
                    pending.extend((key, value))
                self._check_equal_keys(node, where)

    def _check_number(self, node: ScalarNode, where: str) -> None:
        text = node.value
        if node.tag == _INT_TAG:
            if _DECIMAL_INT.fullmatch(text) is None:
                raise self._base_error(node, where, "a decimal integer")
            digits = len(text.lstrip("+-"))
            if digits > MAX_INT_DIGITS:
                raise self.error(
                    f"{where}: the integer has {digits:,} digits; integers in a "
                    f"config have at most {MAX_INT_DIGITS}",
                    node,
                )
        elif node.tag == _FLOAT_TAG and ("_" in text or ":" in text):
            raise self._base_error(node, where, "a decimal number")

    def _base_error(self, node: ScalarNode, where: str, expected: str) -> ConfigError:
        text = node.value
        message = f"{where}: {show(text)} is not {expected}"
        kind = _yaml11_form(node)
        if kind is None:
            return self.error(message, node)
        reading = f"YAML 1.1 reads it as a {kind} number"
        if len(text) <= 40:
            # Short enough that converting and printing the number is cheap.
            try:
                value = self._construct(node, where)
                reading = f"YAML 1.1 reads it as {value!r} ({kind})"
            except ConfigError:
                pass
        return self.error(
            f"{message}; {reading}",
            node,
            "write numbers in decimal, with no leading zeros, '_' or ':'",
        )

    def _check_equal_keys(self, node: MappingNode, where: str) -> None:
        # The first key node and its value, by value.
        first_keys: dict[Any, tuple[ScalarNode, Any]] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                continue
            value = self._construct(key, where)
            try:
                earlier, earlier_value = first_keys.setdefault(value, (key, value))
            except TypeError:
                continue  # an unhashable key fails when the mapping is built
            if earlier is key:
                continue
            message = (
                f"duplicate key {show(key.value)}: it equals the key "
                f"{show(earlier.value)} on line {earlier.start_mark.line + 1}"
            )
            hint = "remove one of the two keys"
            if isinstance(value, bool) != isinstance(earlier_value, bool):
                hint = (
                    "YAML reads a bool and an integer as different keys, but "
                    "a Python dict holds True and 1 as one key, so remove one "
                    "of the two keys"
                )
            raise self.error(message, key, hint)

    # Sections.

    def top_level(self, root: MappingNode) -> dict[str, Node]:
        """Return the top-level value nodes by key, rejecting unknown keys."""
        sections = {}
        for key, value in root.value:
            if not isinstance(key, ScalarNode) or key.tag != _STR_TAG:
                raise self.error(
                    f"top-level keys must be strings, got {_describe(key)}", key
                )
            if key.value not in TOP_LEVEL_KEYS:
                hint = suggest(key.value, TOP_LEVEL_KEYS) or (
                    "the known keys are " + ", ".join(TOP_LEVEL_KEYS)
                )
                raise self.error(f"unknown key {show(key.value)}", key, hint)
            sections[key.value] = value
        if "schedule" in sections and "schedules" in sections:
            raise self.error(
                "the config has both 'schedule' and 'schedules'",
                sections["schedules"],
                "keep 'schedule' for one schedule or 'schedules' for several",
            )
        if "schedule" not in sections and "schedules" not in sections:
            raise self.error(
                "the config has no schedule",
                hint="add 'schedule: ...' or 'schedules: {name: ...}'",
            )
        return sections

    def step_count(self, name: str, node: Node) -> int:
        """Return the whole number ``> 0`` under the top-level key ``name``."""
        value = None
        if isinstance(node, ScalarNode):
            digits = len(node.value.lstrip("+-"))
            too_long = digits > len(str(MAX_STEP))
            if too_long and node.tag == _INT_TAG and _DECIMAL_INT.fullmatch(node.value):
                # Rejected as text: converting thousands of digits fails.
                raise self.error(
                    f"{name} is an integer of {digits:,} digits; expected "
                    f"0 < {name} <= 2**62",
                    node,
                )
            value = self.construct(node, name)
        whole = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            whole, value = True, int(value)
        if not whole or node.tag not in (_INT_TAG, _FLOAT_TAG):
            hint = None
            if node.tag == _STR_TAG and node.value.strip().isdigit():
                hint = f"write {name}: {node.value.strip()} without quotes"
            raise self.error(
                f"{name} must be a whole number, got {_describe(node)}", node, hint
            )
        if not 0 < value <= MAX_STEP:
            raise self.error(
                f"{name}={value!r} is invalid; expected 0 < {name} <= 2**62", node
            )
        return value

    def variables(self, node: Node) -> dict[str, Any]:
        if not isinstance(node, MappingNode):
            raise self.error(
                f"vars must be a mapping of names to values, got {_describe(node)}",
                node,
            )
        bound = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag != _STR_TAG:
                raise self.error(
                    f"variable names must be strings, got {_describe(key)}", key
                )
            try:
                _variables({key.value: 0})
            except ArgumentError as error:
                raise self.error(error.message, key) from None
            try:
                constructed = self.construct(value, f"variable {key.value!r}")
                checked = _variables({key.value: constructed})
            except ArgumentError as error:
                raise self.error(error.message, value) from None
            bound.update(checked)
        return bound

    def expect(self, node: Node) -> Any:
        if not isinstance(node, (MappingNode, SequenceNode)):
            raise self.error(
                f"expect must be a mapping or a list of checks, got {_describe(node)}",
                node,
            )
        return self.construct(node, "expect")

    def schedule_nodes(self, sections: dict[str, Node]) -> list[tuple[str, Node]]:
        """Return ``(name, scalar node)`` for each schedule, in file order."""
        if "schedule" in sections:
            return [("schedule", self._schedule_text("schedule", sections["schedule"]))]
        node = sections["schedules"]
        if isinstance(node, MappingNode) and not node.value:
            raise self.error("schedules is empty", node)
        if not isinstance(node, MappingNode):
            raise self.error(
                "schedules must be a mapping of names to schedules, "
                f"got {_describe(node)}",
                node,
                "write schedules: {backbone: '...', head: '...'}",
            )
        named: list[tuple[str, Node]] = []
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag != _STR_TAG:
                raise self.error(
                    f"schedule names must be strings, got {_describe(key)}", key
                )
            if node.flow_style and named and _is_empty(value):
                self._reject_split_text(named[-1], key)
            named.append((key.value, self._schedule_text(key.value, value)))
        return named

    def _reject_split_text(self, previous: tuple[str, Node], key: ScalarNode):
        """Explain ``{a: warmup(5, 1)}``, which YAML reads as two entries.

        In a flow mapping a comma ends a plain scalar, so the text after it
        becomes a key (``1)``) with an empty value.
        """
        name, value = previous
        text = self.text[value.start_mark.index : key.end_mark.index]
        raise self.error(
            f"schedule {show(key.value)} must be schedule text, got an empty "
            f"value: the comma before it ended the schedule {show(name)}",
            key,
            "a comma ends an unquoted value inside {...}, so quote the "
            f'schedule text: {{{name}: "{text}"}}',
        )

    def _schedule_text(self, name: str, node: Node) -> ScalarNode:
        # A plain number is a constant schedule; its text is the DSL number.
        if isinstance(node, ScalarNode) and node.tag in (
            _STR_TAG,
            _INT_TAG,
            _FLOAT_TAG,
        ):
            return node
        raise self.error(
            f"schedule {show(name)} must be schedule text, got {_describe(node)}",
            node,
            "write the schedule as a string, for example 'warmup(500, 0.1)'",
        )

    def find_key(self, root: MappingNode, key: str) -> ScalarNode:
        """Return the scalar node at the dot-separated key path ``key``.

        Errors point at the last key found on the way, or at the file's
        first line when the first key is missing.
        """
        node: Node = root
        key_node: Node | None = None
        walked: list[str] = []
        for part in key.split("."):
            key_node, node = self._child(node, key_node, part, walked)
            walked.append(part)
        if isinstance(node, (MappingNode, SequenceNode)):
            raise self.error(
                f"{key} must be schedule text, got {_describe(node)}",
                key_node,
                "point the key path at the schedule string itself",
            )
        return self._schedule_text(key, node)

    def _child(
        self, node: Node, key_node: Node | None, part: str, walked: list[str]
    ) -> tuple[Node, Node]:
        """Return ``(key node, value node)`` of ``part`` inside ``node``."""
        where = ".".join(walked) or "the root"
        if isinstance(node, SequenceNode) and re.fullmatch("[0-9]+", part):
            # Lists within MAX_YAML_NODES have indexes of at most 6 digits, so a
            # longer part is out of range without converting it.
            if len(part) <= 9 and int(part) < len(node.value):
                return node.value[int(part)], node.value[int(part)]
            raise self.error(
                f"key path: index {part} is out of range, {where} is a list of "
                f"{len(node.value)} items",
                key_node,
            )
        if not isinstance(node, MappingNode):
            raise self.error(
                f"key path: {where} is {_describe(node)}, so it has no key "
                f"{show(part)}",
                node,
            )
        keys = []
        for child_key, value in node.value:
            if isinstance(child_key, ScalarNode):
                if child_key.value == part:
                    return child_key, value
                keys.append(child_key.value)
        raise self.error(
            f"key path: {where} has no key {show(part)}",
            key_node,
            suggest(part, keys) or f"the keys there are {', '.join(keys) or 'none'}",
        )

    # Positions of schedule text.

    def scalar_source(self, node: ScalarNode) -> Source:
        """Return the Source that maps offsets of ``node.value`` into the file."""
        offsets = _align_scalar(self.text, node)
        fallback = node.start_mark.index

        def locate(offset: int) -> tuple[int, int]:
            if 0 <= offset < len(offsets):
                return self.position(offsets[offset])
            if offset == len(offsets) == len(node.value) and offsets:
                return self.position(offsets[-1] + 1)
            return self.position(fallback)

        return Source(
            node.value, filename=self.filename, locate=locate, file_lines=self.lines
        )

    def position(self, index: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of character ``index`` of the file."""
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1


def _align_scalar(text: str, node: ScalarNode) -> list[int]:
    """Return the file index of each character of ``node.value``, in order.

    The raw text of the node (``text[start:end]``) contains the value's characters
    in order, separated by indentation, line breaks that the scalar style folds
    into spaces, quotes and escapes. Each value character is matched to the
    next raw character that produces it. The list stops short where matching
    fails (an escape the scanner table does not know, for example); the
    caller reports those characters at the start of the node.
    """
    index, end = node.start_mark.index, node.end_mark.index
    while index < end and text[index] in "!&":
        # A tag or an anchor comes before the scalar itself.
        while index < end and not text[index].isspace():
            index += 1
        while index < end and text[index].isspace():
            index += 1
    if node.style in ("'", '"'):
        index += 1
    elif node.style in ("|", ">"):
        index = text.find("\n", index, end) + 1 or end

    offsets: list[int] = []
    for char in node.value:
        matched = _match_char(text, index, end, char, node.style)
        if matched is None:
            break
        offset, index = matched
        offsets.append(offset)
    return offsets


def _match_char(
    text: str, index: int, end: int, char: str, style: str | None
) -> tuple[int, int] | None:
    """Find the raw character that produces ``char``: ``(its index, next index)``."""
    while index < end:
        raw = text[index]
        if style == '"' and raw == "\\":
            if text.startswith("\\\n", index):
                index += 2  # an escaped line break joins the lines
                continue
            escape = _decode_escape(text, index)
            if escape is None or escape[0] != char:
                return None
            return index, index + escape[1]
        if style == "'" and raw == "'":
            if char == "'" and text.startswith("''", index):
                return index, index + 2
            return None
        if raw == char:
            return index, index + 1
        if raw in " \t\n":
            if char in " \n":
                return index, index + 1  # a line break folded into a space
            index += 1  # indentation or a trimmed space
            continue
        return None
    return None


def _decode_escape(text: str, index: int) -> tuple[str, int] | None:
    """Decode the double-quoted escape at ``index``: ``(character, length)``."""
    code = text[index + 1 : index + 2]
    if code in Scanner.ESCAPE_REPLACEMENTS:
        return Scanner.ESCAPE_REPLACEMENTS[code], 2
    if code in Scanner.ESCAPE_CODES:
        length = Scanner.ESCAPE_CODES[code]
        digits = text[index + 2 : index + 2 + length]
        try:
            return chr(int(digits, 16)), 2 + length
        except ValueError:
            return None
    return None


def _describe(node: Node) -> str:
    """Describe a YAML node for a message: ``the string '5005'``, ``a list``."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    kinds = {
        _STR_TAG: "the string",
        _INT_TAG: "the integer",
        _FLOAT_TAG: "the number",
        _BOOL_TAG: "the bool",
    }
    if node.tag == _NULL_TAG:
        return "an empty value"
    return f"{kinds.get(node.tag, 'the value')} {show(node.value)}"


def _yaml11_form(node: ScalarNode) -> str | None:
    """Name the YAML 1.1 number form of ``node``'s text, or return ``None``."""
    body = node.value.lstrip("+-").lower()
    if ":" in body:
        return "base 60"
    if body.startswith("0b"):
        return "binary"
    if body.startswith("0x"):
        return "hexadecimal"
    if node.tag == _INT_TAG and body.startswith("0") and body[1:2].isdigit():
        return "octal"
    if "_" in body:
        return "'_'-separated"
    return None


def _is_empty(node: Node) -> bool:
    """Return whether ``node`` is a value left out, as in ``{a: }``."""
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG and not node.value
