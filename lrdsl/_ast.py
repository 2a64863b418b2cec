"""Frozen AST nodes with source spans, and printing them back to text.

``str(node)`` gives canonical DSL text that parses back to an equal tree
(spans aside): parentheses appear only where precedence needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Span

# Binding strength of each construct, loosest first, as in the grammar.
_THEN, _FOR, _SUM, _PRODUCT, _UNARY, _ATOM = range(6)


@dataclass(frozen=True)
class Node:
    span: Span = field(compare=False, repr=False)

    precedence = _ATOM


@dataclass(frozen=True)
class Number(Node):
    """A numeric literal; ``text`` is the literal as written."""

    value: int | float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Quantity(Node):
    """A number with a unit: ``5ep`` (epochs) or ``10%`` (of total steps)."""

    text: str
    unit: str

    def __str__(self) -> str:
        return f"{self.text}{self.unit}"


@dataclass(frozen=True)
class String(Node):
    value: str

    def __str__(self) -> str:
        return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Bool(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True)
class Name(Node):
    """A bare identifier: a variable."""

    id: str

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(str(item) for item in self.items) + "]"


@dataclass(frozen=True)
class Keyword(Node):
    """A ``name=value`` argument; ``span`` covers the name only."""

    name: str
    value: Node

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class Call(Node):
    """``name(args..., keywords...)``; ``name_span`` covers the name."""

    name: str
    name_span: Span = field(compare=False, repr=False)
    args: tuple[Node, ...] = ()
    keywords: tuple[Keyword, ...] = ()

    def __str__(self) -> str:
        parts = [str(arg) for arg in self.args]
        parts += [str(keyword) for keyword in self.keywords]
        return f"{self.name}({', '.join(parts)})"


@dataclass(frozen=True)
class BinOp(Node):
    """Pointwise arithmetic: ``op`` is one of ``+ - * /``."""

    op: str
    left: Node
    right: Node

    @property
    def precedence(self) -> int:
        return _SUM if self.op in "+-" else _PRODUCT

    def __str__(self) -> str:
        left = _wrap(self.left, self.precedence)
        right = _wrap(self.right, self.precedence + 1)
        return f"{left} {self.op} {right}"


@dataclass(frozen=True)
class Neg(Node):
    operand: Node

    precedence = _UNARY

    def __str__(self) -> str:
        return f"-{_wrap(self.operand, _UNARY)}"


@dataclass(frozen=True)
class Then(Node):
    """A ``>>`` chain, flattened: each part runs on its own clock."""

    parts: tuple[Node, ...]

    precedence = _THEN

    def __str__(self) -> str:
        return " >> ".join(_wrap(part, _FOR) for part in self.parts)


@dataclass(frozen=True)
class For(Node):
    """``body for steps``: ``body`` with its duration set to ``steps``."""

    body: Node
    steps: Node

    precedence = _FOR

    def __str__(self) -> str:
        return f"{_wrap(self.body, _FOR)} for {_wrap(self.steps, _SUM)}"


def _wrap(node: Node, min_precedence: int) -> str:
    text = str(node)
    if node.precedence < min_precedence:
        return f"({text})"
    return text
