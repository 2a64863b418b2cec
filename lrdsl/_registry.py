"""The schedule registry: each schedule is declared once, here described.

A schedule module declares a schedule with :func:`schedule`::

    @schedule(
        family="native",
        params=[steps("steps"), real("peak"), real("start", default=0.0)],
        duration=lambda p: p["steps"],
    )
    def warmup(xp, s, steps, peak, start):
        '''Ramp linearly from ``start`` to ``peak`` ...'''
        ...

The function is the formula. It receives a math namespace ``xp``
(:mod:`lrdsl._ops`), the step ``s`` on the schedule's own clock and the
checked arguments. It must use only ``xp`` functions and operators, so that
one definition serves the vector and the scalar evaluators. The parameter
list gives names, positional order, defaults, kinds and rules, and the
resolver, the docs and the error messages all read it.

A schedule may also declare kernels, optional faster implementations that
must give bit-identical values (``tests/test_performance_paths.py`` compares
them). The formula stays the definition, and evaluators other than the two
below ignore kernels:

* :func:`vector_kernel_for`: ``kernel(s, out, <params>)`` writes the values
  at the int64 steps ``s`` into the float64 array ``out`` of the same shape,
  with in-place numpy operations. The numpy vector path uses it.
* :func:`scalar_kernel_for`: ``kernel(s, <params>)`` returns the value at
  the int step ``s`` as a float, in plain Python. The scalar path uses it.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

REQUIRED: Any = inspect.Parameter.empty


class Kind(enum.Enum):
    """The kind of value an argument takes, which sets how it is converted."""

    STEPS = "a whole number of steps"
    COUNT = "a whole number"
    REAL = "a number"
    BOOL = "true or false"
    CHOICE = "a string"
    STEPS_LIST = "a list of whole numbers of steps"
    REAL_LIST = "a list of numbers"
    SCHEDULE = "a schedule or a number"


@dataclass(frozen=True)
class Rule:
    """A condition on checked arguments, shown to users as ``text``."""

    text: str
    holds: Callable[[dict[str, Any]], bool]
    # The parameter whose argument the error points at.
    blame: str


@dataclass(frozen=True)
class Advice:
    """A legal but suspicious case, reported as a warning when ``applies``.

    ``applies(p, context)`` receives the checked arguments and the resolver's
    context (``steps_per_epoch``, ``total_steps``); ``text`` states what is
    suspicious and what lrdsl does about it.
    """

    text: str
    applies: Callable[[dict[str, Any], Any], bool]
    blame: str


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def steps(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    """Declare a step-valued parameter: whole, >= 0, units allowed."""
    return Param(name, Kind.STEPS, default, doc=doc)


def count(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    return Param(name, Kind.COUNT, default, doc=doc)


def real(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    return Param(name, Kind.REAL, default, doc=doc)


def boolean(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    return Param(name, Kind.BOOL, default, doc=doc)


def choice(
    name: str, choices: Sequence[str], default: Any = REQUIRED, doc: str = ""
) -> Param:
    return Param(name, Kind.CHOICE, default, tuple(choices), doc=doc)


def steps_list(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    return Param(name, Kind.STEPS_LIST, default, doc=doc)


def real_list(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    return Param(name, Kind.REAL_LIST, default, doc=doc)


def sched(name: str, default: Any = REQUIRED, doc: str = "") -> Param:
    """Declare a parameter that takes a schedule (or a number, as a constant).

    The formula receives the inner schedule's value at the same step.
    """
    return Param(name, Kind.SCHEDULE, default, doc=doc)


@dataclass(frozen=True)
class ScheduleSpec:
    """One schedule: its signature, rules, duration and formula."""

    name: str
    family: str
    params: tuple[Param, ...]
    formula: Callable[..., Any]
    rules: tuple[Rule, ...] = ()
    advice: tuple[Advice, ...] = ()
    # Maps checked arguments to a step count; None means infinite.
    duration: Callable[[dict[str, Any]], int | None] | None = None
    # Builds a special evaluator node instead of a plain formula (LARS).
    node: Callable[..., Any] | None = None
    paddle_name: str | None = None
    doc: str = field(default="", repr=False)
    # Optional faster implementations (see the module doc).
    vector_kernel: Callable[..., None] | None = field(default=None, repr=False)
    scalar_kernel: Callable[..., float] | None = field(default=None, repr=False)

    def signature(self) -> str:
        """Return the call signature as users write it."""
        parts = []
        for param in self.params:
            if param.required:
                parts.append(param.name)
            else:
                parts.append(f"{param.name}={_literal(param.default)}")
        return f"{self.name}({', '.join(parts)})"

    def param(self, name: str) -> Param | None:
        for param in self.params:
            if param.name == name:
                return param
        return None


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if value == float("inf"):
        return "inf"
    return repr(value)


REGISTRY: dict[str, ScheduleSpec] = {}


def schedule(
    *,
    family: str,
    params: Sequence[Param],
    rules: Sequence[Rule] = (),
    advice: Sequence[Advice] = (),
    duration: Callable[[dict[str, Any]], int | None] | None = None,
    node: Callable[..., Any] | None = None,
    name: str | None = None,
    paddle_name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated formula as a schedule (see the module doc)."""

    def register(formula: Callable[..., Any]) -> Callable[..., Any]:
        key = name or formula.__name__
        if key in REGISTRY:
            raise RuntimeError(f"schedule {key!r} is registered twice")
        declared = [param.name for param in params]
        accepted = list(inspect.signature(formula).parameters)[2:]
        if node is None and declared != accepted:
            raise RuntimeError(
                f"{key}: formula takes {accepted}, params declare {declared}"
            )
        REGISTRY[key] = ScheduleSpec(
            name=key,
            family=family,
            params=tuple(params),
            formula=formula,
            rules=tuple(rules),
            advice=tuple(advice),
            duration=duration,
            node=node,
            paddle_name=paddle_name,
            doc=inspect.getdoc(formula) or "",
        )
        return formula

    return register


def vector_kernel_for(name: str) -> Callable[[Callable], Callable]:
    """Declare the decorated function as the numpy kernel of schedule ``name``.

    The kernel takes ``(s, out, <params in declared order>)`` and writes into
    ``out`` the values that the formula returns at ``s``. Declare it after
    the schedule.
    """
    return _kernel_for(name, "vector_kernel", skipped=2)


def scalar_kernel_for(name: str) -> Callable[[Callable], Callable]:
    """Declare the decorated function as the scalar kernel of schedule ``name``.

    The kernel takes ``(s, <params in declared order>)`` and returns the float
    that the formula returns at the int step ``s``. Declare it after the
    schedule.
    """
    return _kernel_for(name, "scalar_kernel", skipped=1)


def _kernel_for(name: str, field_name: str, skipped: int) -> Callable:
    def register(kernel: Callable) -> Callable:
        spec = REGISTRY.get(name)
        if spec is None:
            raise RuntimeError(f"{field_name}: no schedule named {name!r}")
        if getattr(spec, field_name) is not None:
            raise RuntimeError(f"schedule {name!r} has two {field_name}s")
        declared = [param.name for param in spec.params]
        accepted = list(inspect.signature(kernel).parameters)[skipped:]
        if spec.node is not None or declared != accepted:
            raise RuntimeError(
                f"{name}: {field_name} takes {accepted}, params declare {declared}"
            )
        REGISTRY[name] = dataclasses.replace(spec, **{field_name: kernel})
        return kernel

    return register


# Ready-made rules, so that one condition is written and worded one way.


def positive(name: str) -> Rule:
    return Rule(f"0 < {name}", lambda p: p[name] > 0, name)


def nonnegative(name: str) -> Rule:
    return Rule(f"0 <= {name}", lambda p: p[name] >= 0, name)


def nonempty(name: str) -> Rule:
    return Rule(f"len({name}) >= 1", lambda p: len(p[name]) >= 1, name)
