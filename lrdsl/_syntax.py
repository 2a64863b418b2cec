"""Parse schedule text into AST nodes with spans.

The grammar is ``grammar/lrdsl.lark``, shipped inside the package as
``lrdsl/grammar/lrdsl.lark``. One LALR parser is built per process.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from pathlib import Path

import lark
from lark.visitors import Transformer_NonRecursive

from . import _ast as ast
from .errors import LrdslSyntaxError, Span

# Limits that keep every input, however large, to a fast and clear error.
MAX_SOURCE_CHARS = 65_536
MAX_DEPTH = 200

# Human names for the grammar's terminals in "expected ..." messages.
_TERMINAL_NAMES = {
    "NUMBER": "a number",
    "QUANTITY": "a number with a unit",
    "STRING": "a string",
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "EQUAL": "'='",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "MORETHAN": "'>'",
    "__ANON_0": "'>>'",
    "FOR": "'for'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "$END": "the end of the text",
}


def _grammar_text() -> str:
    packaged = resources.files("lrdsl").joinpath("grammar/lrdsl.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # A source checkout used without installing keeps the grammar at the top.
    checkout = Path(__file__).resolve().parent.parent / "grammar" / "lrdsl.lark"
    return checkout.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    return lark.Lark(
        _grammar_text(),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def parse(text: str) -> ast.Node:
    """Parse schedule text into an AST.

    Raises:
      LrdslSyntaxError: the text is not a valid expression, is longer than
        ``MAX_SOURCE_CHARS`` or nests deeper than ``MAX_DEPTH``.
    """
    if not isinstance(text, str):
        raise LrdslSyntaxError(
            f"schedule text must be a str, got {type(text).__name__}: {text!r:.60}"
        )
    if len(text) > MAX_SOURCE_CHARS:
        raise LrdslSyntaxError(
            f"schedule text has {len(text)} characters; the limit is {MAX_SOURCE_CHARS}"
        )
    if _only_comments(text):
        raise LrdslSyntaxError("empty schedule text", span=Span.at(text, 0, len(text)))
    _check_nesting(text)
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    try:
        return _Builder(text).transform(tree)
    except lark.exceptions.VisitError as error:
        if isinstance(error.orig_exc, LrdslSyntaxError):
            raise error.orig_exc from None
        raise


def _only_comments(text: str) -> bool:
    return all(
        not line.strip() or line.strip().startswith("#") for line in text.split("\n")
    )


def _check_nesting(text: str) -> None:
    """Reject bracket nesting deeper than MAX_DEPTH before lark parses the text."""
    depth = 0
    in_string = in_comment = False
    for offset, char in enumerate(text):
        if in_comment:
            in_comment = char != "\n"
        elif in_string:
            in_string = char != '"'
        elif char == "#":
            in_comment = True
        elif char == '"':
            in_string = True
        elif char in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise LrdslSyntaxError(
                    f"brackets nest deeper than {MAX_DEPTH} levels",
                    span=Span.at(text, offset, offset + 1),
                    hint="split the expression or bind parts to variables",
                )
        elif char in ")]":
            depth = max(0, depth - 1)


# Common mistakes: (message, hint, known-bad snippets). lark matches the parser
# state of an error against the states these snippets fail in, so each entry
# names a whole family of mistakes. tests/test_syntax_errors.py runs every
# snippet through this table.
MISTAKES: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    (
        "missing ',' between arguments or list items",
        "separate arguments and list items with ','",
        (
            "f(a b)",
            "f(1 2)",
            "[1 2]",
            "f(a, b c)",
            "[1, 2 3]",
            "f(a=1 b=2)",
            "f(a >> b c)",
        ),
    ),
    (
        "an operator is missing its right operand",
        None,
        (
            "1 +",
            "a >>",
            "a *",
            "a for",
            "a -",
            "a /",
            "f(a +)",
            "[a >>]",
            "a >> b +",
            "a >> b >>",
            "a >> b for",
            "a >> b *",
        ),
    ),
    (
        "two expressions with no operator between them",
        "join schedules with '>>' to run one after the other",
        ("f(1) g(2)", "1 2", "a b", "f(1) 2", "[1] [2]", "(a) (b)", "a >> b c"),
    ),
    (
        "a keyword argument is missing its value",
        "write name=value",
        ("f(a=)", "f(1, b=)", "f(a=, b=1)"),
    ),
    (
        "unmatched closing bracket",
        None,
        ("f(1))", "1)", "a >> b)", "[1]]", "1]"),
    ),
)

_CLOSERS = {"(": ")", "[": "]"}


def _syntax_error(
    text: str, error: lark.exceptions.UnexpectedInput
) -> LrdslSyntaxError:
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        return _unexpected_character(text, error.pos_in_stream)

    token = getattr(error, "token", None)
    at_end = token is None or token.type == "$END"
    offset = len(text.rstrip()) if at_end else token.start_pos
    width = 0 if at_end else len(token.value)
    span = Span.at(text, offset, offset + width)
    got = "the end of the text" if at_end else repr(token.value)

    unclosed = _open_brackets(text, offset)
    if unclosed and (at_end or token.value in ")]"):
        opener, opened_at = unclosed[-1]
        closer = _CLOSERS[opener[-1]]
        if at_end or token.value != closer:
            opened = Span.at(text, opened_at)
            return LrdslSyntaxError(
                f"expected {closer!r} to close {opener!r} opened at "
                f"{opened.line}:{opened.column}, got {got}",
                span=span,
            )

    if not at_end and token.value == "*" and text[offset - 1 : offset] == "*":
        return LrdslSyntaxError(
            "'**' is not an operator: lrdsl has no power operator",
            span=Span.at(text, offset - 1, offset + 1),
            hint="write the power out as a number, such as 1e-4",
        )
    if not at_end and token.value == "=" and text[offset + 1 : offset + 2] == ">":
        return LrdslSyntaxError(
            "unexpected '=>'",
            span=Span.at(text, offset, offset + 2),
            hint="sequencing is written '>>'",
        )
    if not at_end and token.value == "=":
        return LrdslSyntaxError(
            "unexpected '=': '=' only names a keyword argument inside a call",
            span=span,
            hint="bind variables with variables={...}, or vars: in a config",
        )

    label = _match_mistake(error)
    if label is not None:
        message, hint = label
        return LrdslSyntaxError(f"{message}, got {got}", span=span, hint=hint)

    expected = sorted(
        {
            _TERMINAL_NAMES.get(name, repr(name))
            for name in getattr(error, "expected", ())
        }
    )
    message = "unexpected end of the text" if at_end else f"unexpected {got}"
    if expected:
        message += "; expected " + ", ".join(expected)
    return LrdslSyntaxError(message, span=span)


def _match_mistake(error: lark.exceptions.UnexpectedInput):
    """Return (message, hint) of the MISTAKES entry that fails like ``error``.

    An entry matches when one of its snippets stops the parser in the same
    state; a snippet that also expected the same tokens wins over one that
    only shares the state. (lark's own ``match_examples`` is not used
    because lark 1.3.1 raises TypeError in its debug logging there.)
    """
    state = getattr(error, "state", None)
    accepts = getattr(error, "accepts", None)
    fallback = None
    for index, known_state, known_accepts in _mistake_states():
        if known_state != state:
            continue
        if known_accepts == accepts:
            return MISTAKES[index][:2]
        if fallback is None:
            fallback = MISTAKES[index][:2]
    return fallback


@functools.lru_cache(maxsize=1)
def _mistake_states():
    states = []
    for index, (_, _, snippets) in enumerate(MISTAKES):
        for snippet in snippets:
            try:
                _parser().parse(snippet)
            except lark.exceptions.UnexpectedInput as known:
                states.append(
                    (
                        index,
                        getattr(known, "state", None),
                        getattr(known, "accepts", None),
                    )
                )
    return tuple(states)


def _unexpected_character(text: str, offset: int) -> LrdslSyntaxError:
    char = text[offset] if offset < len(text) else ""
    span = Span.at(text, offset, offset + 1)
    before = text[:offset].rstrip()
    if char == "." and before[-1:].isalnum():
        return LrdslSyntaxError(
            "unexpected '.': lrdsl has no attribute access",
            span=span,
            hint="call schedules by name, for example cosine(0.1, 1000)",
        )
    if char == ">" or (char in "-=" and text[offset + 1 : offset + 2] == ">"):
        return LrdslSyntaxError(
            f"unexpected {text[offset : offset + 2].rstrip()!r}",
            span=span,
            hint="sequencing is written '>>'",
        )
    if char == "'":
        return LrdslSyntaxError(
            'unexpected "\'"', span=span, hint='strings use double quotes: "cos"'
        )
    if char == '"':
        return LrdslSyntaxError("unterminated string", span=span)
    return LrdslSyntaxError(f"unexpected character {char!r}", span=span)


def _open_brackets(text: str, offset: int) -> list[tuple[str, int]]:
    """Return the brackets still open at ``offset``, as (opener, position).

    A call's opener includes its name, as in ``'warmup('``.
    """
    stack: list[tuple[str, int]] = []
    in_string = in_comment = False
    for position, char in enumerate(text[:offset]):
        if in_comment:
            in_comment = char != "\n"
        elif in_string:
            in_string = char != '"'
        elif char == "#":
            in_comment = True
        elif char == '"':
            in_string = True
        elif char in "([":
            name = _name_before(text, position) if char == "(" else ""
            stack.append((name + char, position - len(name)))
        elif char in ")]" and stack:
            stack.pop()
    return stack


def _name_before(text: str, position: int) -> str:
    end = position
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    name = text[start:end]
    return name if name[:1].isalpha() or name[:1] == "_" else ""


class _Builder(Transformer_NonRecursive):
    """Turn lark's parse tree into AST nodes, bottom-up and without recursion."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text
        self._depth: dict[int, int] = {}

    # lark already tracks lines and columns, so spans need no rescanning.

    def _span(self, meta) -> Span:
        return Span(
            meta.start_pos,
            meta.end_pos,
            meta.line,
            meta.column,
            meta.end_line,
            meta.end_column,
        )

    def _token_span(self, token: lark.Token) -> Span:
        return Span(
            token.start_pos,
            token.end_pos,
            token.line,
            token.column,
            token.end_line,
            token.end_column,
        )

    def _node(self, node: ast.Node, *children: ast.Node) -> ast.Node:
        depth = 1 + max(
            (self._depth.get(id(child), 0) for child in children), default=0
        )
        if depth > MAX_DEPTH:
            raise LrdslSyntaxError(
                f"expression nests deeper than {MAX_DEPTH} levels",
                span=node.span,
                hint="split the expression or bind parts to variables",
            )
        self._depth[id(node)] = depth
        return node

    # Literals.

    def number(self, children):
        (token,) = children
        return self._node(
            ast.Number(
                self._token_span(token), _number_value(token, self._text), str(token)
            )
        )

    def quantity(self, children):
        (token,) = children
        _check_number_length(token, self._text)
        text = str(token)
        split = _unit_start(text)
        _reject_python_literal(text[:split], text[split:], self._token_span(token))
        return self._node(
            ast.Quantity(self._token_span(token), text[:split], text[split:])
        )

    def string(self, children):
        (token,) = children
        value = str(token)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return self._node(ast.String(self._token_span(token), value))

    @lark.v_args(meta=True)
    def true(self, meta, children):
        return self._node(ast.Bool(self._span(meta), True))

    @lark.v_args(meta=True)
    def false(self, meta, children):
        return self._node(ast.Bool(self._span(meta), False))

    def name(self, children):
        (token,) = children
        return self._node(ast.Name(self._token_span(token), str(token)))

    @lark.v_args(meta=True)
    def list(self, meta, children):
        items = children[0] if children else ()
        return self._node(ast.ListExpr(self._span(meta), tuple(items)), *items)

    def items(self, children):
        return tuple(children)

    # Calls.

    @lark.v_args(meta=True)
    def call(self, meta, children):
        token, *rest = children
        arguments = rest[0] if rest else ()
        args, keywords = [], []
        for argument in arguments:
            if isinstance(argument, ast.Keyword):
                keywords.append(argument)
            elif keywords:
                raise LrdslSyntaxError(
                    "positional argument follows keyword argument",
                    span=argument.span,
                    hint="move positional arguments before name=value ones",
                )
            else:
                args.append(argument)
        node = ast.Call(
            self._span(meta),
            str(token),
            self._token_span(token),
            tuple(args),
            tuple(keywords),
        )
        return self._node(node, *args, *(keyword.value for keyword in keywords))

    def arguments(self, children):
        return tuple(children)

    def keyword(self, children):
        token, value = children
        node = ast.Keyword(self._token_span(token), str(token), value)
        return self._node(node, value)

    # Operators.

    def _binary(self, op, meta, children):
        left, right = children
        return self._node(ast.BinOp(self._span(meta), op, left, right), left, right)

    @lark.v_args(meta=True)
    def add(self, meta, children):
        return self._binary("+", meta, children)

    @lark.v_args(meta=True)
    def sub(self, meta, children):
        return self._binary("-", meta, children)

    @lark.v_args(meta=True)
    def mul(self, meta, children):
        return self._binary("*", meta, children)

    @lark.v_args(meta=True)
    def div(self, meta, children):
        return self._binary("/", meta, children)

    @lark.v_args(meta=True)
    def neg(self, meta, children):
        (operand,) = children
        return self._node(ast.Neg(self._span(meta), operand), operand)

    def pos(self, children):
        (operand,) = children
        return operand

    @lark.v_args(meta=True)
    def then(self, meta, children):
        parts = []
        for child in children:
            parts.extend(child.parts if isinstance(child, ast.Then) else [child])
        # A flattened chain nests no deeper than its deepest part.
        node = ast.Then(self._span(meta), tuple(parts))
        return self._node(node, *parts)

    @lark.v_args(meta=True)
    def for_(self, meta, children):
        body, steps = children
        return self._node(ast.For(self._span(meta), body, steps), body, steps)


_BASES = {"x": "hexadecimal", "o": "octal", "b": "binary"}


def _reject_python_literal(number: str, unit: str, span: Span) -> None:
    """Name Python number forms that would otherwise read as a unit."""
    if number == "0" and unit[:1].lower() in _BASES and unit[1:].isalnum():
        raise LrdslSyntaxError(
            f"{_BASES[unit[0].lower()]} literals such as {number}{unit} are not "
            "supported",
            span=span,
            hint="write the number in decimal",
        )
    if unit.startswith("_") and unit[1:2].isdigit():
        raise LrdslSyntaxError(
            f"'_' digit separators such as {number}{unit} are not supported",
            span=span,
            hint=f"write {number}{unit.replace('_', '')}",
        )


def _unit_start(text: str) -> int:
    """Return where the unit begins in a quantity token such as ``2.5ep``."""
    index = 0
    while index < len(text) and (text[index].isdigit() or text[index] == "."):
        index += 1
    # An exponent belongs to the number ("1e3ep"); the grammar only lets
    # "e" start the unit when no digits follow it.
    if index < len(text) and text[index] in "eE":
        rest = text[index + 1 :].lstrip("+-")
        if rest[:1].isdigit():
            index = len(text) - len(rest)
            while index < len(text) and text[index].isdigit():
                index += 1
    return index


# No float64 needs more digits than this, and Python refuses to convert
# integers of more than 4300 digits.
MAX_NUMBER_CHARS = 400


def _check_number_length(token: lark.Token, text: str) -> None:
    if len(token) > MAX_NUMBER_CHARS:
        raise LrdslSyntaxError(
            f"number of {len(token)} characters; the limit is {MAX_NUMBER_CHARS}",
            span=Span.at(text, token.start_pos, token.end_pos),
        )


def _number_value(token: lark.Token, text: str) -> int | float:
    _check_number_length(token, text)
    literal = str(token)
    if literal.isdigit():
        return int(literal)
    value = float(literal)
    if math.isinf(value):
        raise LrdslSyntaxError(
            f"number {literal} is too large for a 64-bit float",
            span=Span.at(text, token.start_pos, token.end_pos),
        )
    return value
