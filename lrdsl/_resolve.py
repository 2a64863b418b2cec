"""Resolve an AST into evaluator nodes: names, arguments, units, durations.

Every check on the schedule happens here, at compile time, and raises an
:class:`~lrdsl.errors.LrdslError` that points at the offending span.

Numbers are folded exactly: literals become :class:`fractions.Fraction` from
their decimal text, so ``10%`` of 450450 steps is exactly 45045 and
``0.1 * 3`` is exactly ``0.3`` before it becomes a float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import _ast as ast
from . import _evaluate as ev
from ._registry import REGISTRY, Kind, Param, ScheduleSpec
from .errors import (
    ArgumentError,
    LrdslWarning,
    SemanticError,
    UnitError,
    UnknownNameError,
    show,
    suggest,
)

# Steps, durations and boundaries are exact in int64 up to this bound.
MAX_STEP = 2**62

# Exact folding keeps numerators and denominators below this many bits. A
# value past it is far outside float64 (2**1100 is about 1e331).
MAX_FRACTION_BITS = 1100
# Decimal exponents past this make exact Fractions needlessly huge; such
# literals are read as the nearest float64 instead (0.0 or infinity).
MAX_EXACT_EXPONENT = 400

UNITS = {"ep": "epochs, times steps_per_epoch", "%": "percent of total_steps"}

# Calls the resolver handles itself instead of the registry.
BUILTINS = ("min", "max")


@dataclass
class Context:
    """The settings that give names and units their meaning in one schedule."""

    steps_per_epoch: int | None = None
    total_steps: int | None = None
    variables: dict[str, Any] = field(default_factory=dict)


class Resolver:
    def __init__(self, context: Context):
        self.context = context
        # Legal but suspicious findings, in source order.
        self.warnings: list[LrdslWarning] = []

    # Schedules.

    def schedule(self, node: ast.Node) -> ev.Evaluator:
        """Resolve ``node`` where a schedule (or a number) is expected."""
        method = getattr(self, "_schedule_" + type(node).__name__.lower())
        return method(node)

    def _schedule_number(self, node: ast.Number) -> ev.Evaluator:
        return ev.Const(self.real(node), node.span)

    def _schedule_name(self, node: ast.Name) -> ev.Evaluator:
        return ev.Const(self.real(node), node.span)

    def _schedule_neg(self, node: ast.Neg) -> ev.Evaluator:
        return ev.Negate(self.schedule(node.operand), node.span)

    def _schedule_binop(self, node: ast.BinOp) -> ev.Evaluator:
        left = self.schedule(node.left)
        right = self.schedule(node.right)
        if node.op == "/" and self._is_constant_zero(node.right):
            raise ArgumentError(
                f"division by zero: the divisor {node.right} is the constant 0",
                span=node.right.span,
            )
        return ev.Binary(node.op, left, right, node.span)

    def _is_constant_zero(self, node: ast.Node) -> bool:
        try:
            return self.fold(node, "divisor", units=False) == 0
        except SemanticError:
            return False

    def _schedule_then(self, node: ast.Then) -> ev.Evaluator:
        parts = [self.schedule(part) for part in node.parts]
        start = 0
        for part_node, part in zip(node.parts[:-1], parts[:-1], strict=True):
            if part.duration is None:
                raise SemanticError(
                    f"{_describe(part_node)} has no end, so nothing after "
                    "'>>' would ever run",
                    span=part_node.span,
                    hint="give it a duration: "
                    + str(
                        ast.For(
                            part_node.span, part_node, ast.Name(part_node.span, "N")
                        )
                    ),
                )
            start += part.duration
            if start > MAX_STEP:
                raise ArgumentError(
                    f"the segments before this one last {start} steps; the "
                    f"limit is 2**62 = {MAX_STEP}",
                    span=part_node.span,
                )
        return ev.Sequence(parts, node.span)

    def _schedule_for(self, node: ast.For) -> ev.Evaluator:
        body = self.schedule(node.body)
        duration = self.steps(node.steps, "for")
        return ev.WithDuration(body, duration, node.span)

    def _schedule_call(self, node: ast.Call) -> ev.Evaluator:
        if node.name in BUILTINS:
            return self._extremum(node)
        spec = REGISTRY.get(node.name)
        if spec is None:
            raise UnknownNameError(
                f"unknown schedule {show(node.name)}",
                span=node.name_span,
                hint=suggest(node.name, [*REGISTRY, *BUILTINS]),
            )
        return self._call(spec, node)

    def _schedule_quantity(self, node: ast.Quantity) -> ev.Evaluator:
        raise UnitError(
            f"{_shorten(str(node))} is a step count, but a schedule or a "
            "learning rate is expected here",
            span=node.span,
            hint="units apply only to step-valued arguments such as durations",
        )

    def _schedule_string(self, node: ast.String) -> ev.Evaluator:
        raise ArgumentError(
            f"expected a schedule, got the string {_shorten(str(node))}", span=node.span
        )

    def _schedule_bool(self, node: ast.Bool) -> ev.Evaluator:
        raise ArgumentError(
            f"expected a schedule, got {_shorten(str(node))}", span=node.span
        )

    def _schedule_listexpr(self, node: ast.ListExpr) -> ev.Evaluator:
        raise ArgumentError(
            f"expected a schedule, got the list {_shorten(str(node))}", span=node.span
        )

    def _extremum(self, node: ast.Call) -> ev.Evaluator:
        if node.keywords:
            raise ArgumentError(
                f"{node.name}() takes no keyword arguments",
                span=node.keywords[0].span,
            )
        if len(node.args) < 2:
            raise ArgumentError(
                f"{node.name}() takes at least 2 arguments, got {len(node.args)}",
                span=node.span,
            )
        parts = [self.schedule(arg) for arg in node.args]
        return ev.Extremum(node.name, parts, node.span)

    def _call(self, spec: ScheduleSpec, node: ast.Call) -> ev.Evaluator:
        bound = _bind(spec, node)
        args: dict[str, Any] = {}
        inner: dict[str, ev.Evaluator] = {}
        for param in spec.params:
            argument = bound.get(param.name)
            if argument is None:
                args[param.name] = param.default
            elif param.kind is Kind.SCHEDULE:
                inner[param.name] = self.schedule(argument)
            else:
                args[param.name] = self.argument(argument, param, spec)
        checked = {**args, **inner}
        for rule in spec.rules:
            if not rule.holds(checked):
                blamed = bound.get(rule.blame)
                raise ArgumentError(
                    f"{spec.name}: {rule.blame}={_show(checked[rule.blame])} is "
                    f"invalid; expected {rule.text}",
                    span=blamed.span if blamed is not None else node.span,
                )
        for advice in spec.advice:
            if advice.applies(checked, self.context):
                blamed = bound.get(advice.blame)
                self.warnings.append(
                    LrdslWarning(
                        f"{spec.name}: {advice.text}",
                        span=blamed.span if blamed is not None else node.span,
                    )
                )
        duration = spec.duration(checked) if spec.duration else None
        if spec.node is not None:
            return spec.node(args, inner, duration, node.span)
        return ev.Formula(spec, args, inner, duration, node.span)

    # Plain values.

    def argument(self, node: ast.Node, param: Param, spec: ScheduleSpec) -> Any:
        """Convert the argument ``node`` for ``param`` of ``spec``."""
        where = f"{spec.name}: {param.name}"
        kind = param.kind
        if kind is Kind.STEPS:
            return self.steps(node, where)
        if kind is Kind.COUNT:
            return self.count(node, where)
        if kind is Kind.REAL:
            return self.real(node, where)
        if kind is Kind.BOOL:
            return self.boolean(node, where)
        if kind is Kind.CHOICE:
            return self.choice(node, param, where)
        items = self.items(node, where)
        if kind is Kind.STEPS_LIST:
            return tuple(self.steps(item, where) for item in items)
        return tuple(self.real(item, where) for item in items)

    def steps(self, node: ast.Node, where: str) -> int:
        value = self.fold(node, where, units=True)
        if value != int(value):
            raise ArgumentError(
                f"{where} must be a whole number of steps, got {_show(value)}",
                span=node.span,
                hint="step counts are never rounded; write the whole number",
            )
        value = int(value)
        if not 0 <= value <= MAX_STEP:
            raise ArgumentError(
                f"{where}={value} is invalid; expected 0 <= steps <= 2**62",
                span=node.span,
            )
        return value

    def count(self, node: ast.Node, where: str) -> int:
        value = self.fold(node, where, units=False)
        if value != int(value):
            raise ArgumentError(
                f"{where} must be a whole number, got {_show(value)}",
                span=node.span,
            )
        return int(value)

    def real(self, node: ast.Node, where: str = "value") -> float:
        value = self.fold(node, where, units=False)
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise ArgumentError(
                f"{where}={_show(value)} is invalid; expected a finite number",
                span=node.span,
            )
        return result

    def boolean(self, node: ast.Node, where: str) -> bool:
        if isinstance(node, ast.Bool):
            return node.value
        if isinstance(node, ast.Name):
            value = self.variable(node)
            if isinstance(value, bool):
                return value
        raise ArgumentError(
            f"{where} must be true or false, got {_shorten(str(node))}", span=node.span
        )

    def choice(self, node: ast.Node, param: Param, where: str) -> str:
        value = None
        if isinstance(node, ast.String):
            value = node.value
        elif isinstance(node, ast.Name):
            value = self.variable(node)
        if not isinstance(value, str):
            raise ArgumentError(
                f"{where} must be a string, one of {_choices(param)}, got "
                f"{_shorten(str(node))}",
                span=node.span,
            )
        if value not in param.choices:
            raise ArgumentError(
                f"{where}={show(value)} is invalid; expected one of {_choices(param)}",
                span=node.span,
                hint=suggest(value, param.choices),
            )
        return value

    def items(self, node: ast.Node, where: str) -> tuple[ast.Node, ...]:
        if isinstance(node, ast.ListExpr):
            return node.items
        if isinstance(node, ast.Name):
            value = self.variable(node)
            if isinstance(value, (list, tuple)):
                # A bound list: each item is checked as if it were written here.
                return tuple(_literal_node(item, node) for item in value)
        raise ArgumentError(
            f"{where} must be a list such as [1, 2], got {_shorten(str(node))}",
            span=node.span,
        )

    def fold(self, node: ast.Node, where: str, *, units: bool) -> Fraction:
        """Evaluate a constant numeric expression exactly."""
        if isinstance(node, ast.Number):
            return self._bounded(_exact(node.text), node, where)
        if isinstance(node, ast.Quantity):
            if not units:
                raise UnitError(
                    f"{where} is not a step count, so it takes no unit "
                    f"({show(node.unit)} in {_shorten(str(node))})",
                    span=node.span,
                    hint=f"write the plain number {node.text}",
                )
            return Fraction(self.quantity(node, where))
        if isinstance(node, ast.Name):
            value = self.variable(node)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ArgumentError(
                    f"{where} must be a number, but variable {show(node.id)} is "
                    f"{show(value)}",
                    span=node.span,
                )
            return Fraction(value)
        if isinstance(node, ast.Neg):
            return -self.fold(node.operand, where, units=units)
        if isinstance(node, ast.BinOp):
            left = self.fold(node.left, where, units=units)
            right = self.fold(node.right, where, units=units)
            if node.op == "/" and right == 0:
                raise ArgumentError(
                    "division by zero: the divisor is 0", span=node.right.span
                )
            return self._bounded(_FOLD[node.op](left, right), node, where)
        raise ArgumentError(
            f"{where} must be a number, got {_describe(node)}", span=node.span
        )

    def _bounded(self, value: Fraction, node: ast.Node, where: str) -> Fraction:
        """Keep exact arithmetic cheap: round values of huge precision to float.

        Past MAX_FRACTION_BITS a value is far outside float64's range or
        precision, so its float is what any schedule would use anyway.
        """
        limit = MAX_FRACTION_BITS
        if (
            value.numerator.bit_length() <= limit
            and value.denominator.bit_length() <= limit
        ):
            return value
        try:
            return Fraction(float(value))
        except OverflowError:
            raise ArgumentError(
                f"{where}: {_shorten(str(node))} is too large for a 64-bit float",
                span=node.span,
            ) from None

    def quantity(self, node: ast.Quantity, where: str) -> int:
        """Convert ``5ep`` or ``10%`` to steps, rounding down."""
        number = self._bounded(_exact(node.text), node, where)
        if node.unit == "ep":
            per_epoch = self.context.steps_per_epoch
            if per_epoch is None:
                raise UnitError(
                    f"{_shorten(str(node))} needs steps_per_epoch, which was not given",
                    span=node.span,
                    hint="set steps_per_epoch: a compile() argument, a config key "
                    "or --steps-per-epoch",
                )
            return math.floor(number * per_epoch)
        if node.unit == "%":
            total = self.context.total_steps
            if total is None:
                raise UnitError(
                    f"{_shorten(str(node))} needs total_steps, which was not given",
                    span=node.span,
                    hint="set total_steps: a compile() argument, a config key "
                    "or --total-steps",
                )
            return math.floor(number * total / 100)
        raise UnitError(
            f"unknown unit {show(node.unit)} in {_shorten(str(node))}; units are 'ep' "
            "(epochs) and '%' (of total_steps)",
            span=node.span,
            hint=_unit_hint(node),
        )

    def variable(self, node: ast.Name) -> Any:
        variables = self.context.variables
        if node.id in variables:
            return variables[node.id]
        if node.id.lower() in ("nan", "inf", "infinity"):
            raise ArgumentError(
                f"{show(node.id)} is not a number in lrdsl: every value must be finite",
                span=node.span,
                hint="for a schedule with no end, leave out its duration",
            )
        if node.id in REGISTRY or node.id in BUILTINS:
            raise ArgumentError(
                f"{show(node.id)} is a schedule; call it with its arguments",
                span=node.span,
                hint=f"write {REGISTRY[node.id].signature()}"
                if node.id in REGISTRY
                else None,
            )
        raise UnknownNameError(
            f"unknown variable {show(node.id)}",
            span=node.span,
            hint=suggest(node.id, variables)
            or "bind it with variables={...} or a config's vars:",
        )


def _exact(text: str) -> Fraction:
    """Return the exact value of a decimal literal such as ``1e-3``."""
    _, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_EXACT_EXPONENT:
        value = float(text)
        if math.isinf(value):
            return Fraction(10) ** (MAX_FRACTION_BITS // 3 + 1)
        return Fraction(value)
    return Fraction(text)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unit_hint(node: ast.Quantity) -> str | None:
    unit = node.unit.lower()
    if unit.startswith("e"):
        return f"write {node.text}ep"
    if unit.startswith("p"):
        return f"write {node.text}%"
    return None


_FOLD = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def _bind(spec: ScheduleSpec, node: ast.Call) -> dict[str, ast.Node]:
    """Match a call's arguments to the parameters of ``spec``."""
    params = spec.params
    if len(node.args) > len(params):
        raise ArgumentError(
            f"{spec.name}() takes at most {len(params)} arguments, got "
            f"{len(node.args)}",
            span=node.args[len(params)].span,
            hint=f"the signature is {spec.signature()}",
        )
    bound = {param.name: arg for param, arg in zip(params, node.args, strict=False)}
    names = [param.name for param in params]
    for keyword in node.keywords:
        if keyword.name not in names:
            raise UnknownNameError(
                f"{spec.name}() has no parameter {show(keyword.name)}",
                span=keyword.span,
                hint=suggest(keyword.name, names)
                or f"the signature is {spec.signature()}",
            )
        if keyword.name in bound:
            raise ArgumentError(
                f"{spec.name}() got {show(keyword.name)} twice",
                span=keyword.span,
            )
        bound[keyword.name] = keyword.value
    missing = [
        param.name for param in params if param.required and param.name not in bound
    ]
    if missing:
        raise ArgumentError(
            f"{spec.name}() is missing {', '.join(repr(name) for name in missing)}",
            span=node.span,
            hint=f"the signature is {spec.signature()}",
        )
    return bound


def _literal_node(value: Any, origin: ast.Name) -> ast.Node:
    if isinstance(value, bool):
        return ast.Bool(origin.span, value)
    if isinstance(value, int):
        return ast.Number(origin.span, value, str(value))
    if isinstance(value, float):
        return ast.Number(origin.span, value, repr(value))
    return ast.String(origin.span, str(value))


def _describe(node: ast.Node) -> str:
    if isinstance(node, ast.Call):
        return f"{_shorten(node.name)}(...)"
    if isinstance(node, ast.ListExpr):
        return f"the list {_shorten(str(node))}"
    if isinstance(node, ast.String):
        return f"the string {_shorten(str(node))}"
    return repr(str(node)) if len(str(node)) < 40 else "the expression"


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return _shorten("[" + ", ".join(_show(item) for item in value[:20]) + "]")
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return repr(float(value))
    return repr(value)


def _choices(param: Param) -> str:
    return ", ".join(f'"{choice}"' for choice in param.choices)
