"""The entry points: compile schedule text into a :class:`Schedule`."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

from . import schedules as _schedules  # noqa: F401  (registers the library)
from ._resolve import MAX_STEP, Context, Resolver
from ._schedule import Schedule
from .errors import ArgumentError, LrdslError, Source, show

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def compile(
    text: str,
    *,
    steps_per_epoch: int | None = None,
    total_steps: int | None = None,
    variables: Mapping[str, Any] | None = None,
    source: Source | None = None,
) -> Schedule:
    """Compile schedule text into a pure, vectorized :class:`Schedule`.

    Args:
      text: the schedule, for example
        ``"warmup(500, 0.01) >> piecewise([1000, 2000], [0.1, 0.01, 0.001])"``.
      steps_per_epoch: steps in one epoch; gives meaning to the ``ep`` unit and
        binds the variable ``steps_per_epoch``.
      total_steps: steps in the whole run; gives meaning to the ``%`` unit and
        binds the variable ``total_steps``.
      variables: values for bare names in the text: numbers, bools, strings or
        lists of numbers.
      source: where the text came from, for error positions (configs set it).

    Returns:
      The compiled schedule, callable on a step or an array of steps.

    Raises:
      LrdslError: the text is invalid; the error points at the offending span.

    Warns:
      LrdslWarning: for legal but suspicious arguments, such as unsorted
        boundaries given to a Paddle schedule. They are also kept in
        ``Schedule.warnings``.

    >>> text = "warmup(500, 0.01) >> piecewise([1000, 2000], [0.1, 0.01, 0.001])"
    >>> f = compile(text)
    >>> f(0), f(250), f(500), f(1500), f(2500)
    (0.0, 0.005, 0.1, 0.01, 0.001)
    """
    source = source or Source(text if isinstance(text, str) else "")
    try:
        checked = _variables(variables)
        context = Context(
            steps_per_epoch=_setting(steps_per_epoch, "steps_per_epoch", checked),
            total_steps=_setting(total_steps, "total_steps", checked),
            variables=checked,
        )
        # The parser loads lark, so it is imported on the first compile.
        from ._syntax import parse

        tree = parse(text)
        resolver = Resolver(context)
        root = resolver.schedule(tree)
    except LrdslError as error:
        raise error.with_source(source) from None
    except RecursionError:
        raise LrdslError("the schedule is nested too deeply to compile").with_source(
            source
        ) from None
    schedule = Schedule(root, text, tree)
    # Where the text came from, so that later findings (lrdsl check) can
    # point into the same file.
    schedule.source = source
    for warning in resolver.warnings:
        warning.with_source(source)
        schedule.warnings.append(warning)
        warnings.warn(warning, stacklevel=2)
    return schedule


def _setting(value: Any, name: str, variables: dict[str, Any]) -> int | None:
    """Check ``steps_per_epoch`` or ``total_steps`` and bind it as a variable.

    A variable of the same name sets it too, since units read the setting.
    A variable that disagrees with the setting is an error, not a silent pick.
    """
    setting = _step_count(value, name)
    if name not in variables:
        if setting is not None:
            variables[name] = setting
        return setting
    bound = _step_count(variables[name], f"variable {name}")
    if setting is not None and bound != setting:
        raise ArgumentError(
            f"variable {name}={bound} disagrees with {name}={setting}",
            hint=f"set {name} once: as the {name} setting or as a variable",
        )
    return bound


def _step_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a whole number, got {show(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise ArgumentError(f"{name} must be a whole number, got {show(value)}")
    if not 0 < value <= MAX_STEP:
        raise ArgumentError(
            f"{name}={show(value)} is invalid; expected 0 < {name} <= 2**62"
        )
    return int(value)


def _variables(variables: Mapping[str, Any] | None) -> dict[str, Any]:
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise ArgumentError(
            f"variables must be a mapping of names to values, got {show(variables)}"
        )
    checked: dict[str, Any] = {}
    for name, value in variables.items():
        if (
            not isinstance(name, str)
            or not name
            or not name.isascii()
            or name[0].isdigit()
            or (set(name) - _NAME_CHARS)
        ):
            raise ArgumentError(f"invalid variable name {show(name)}")
        checked[name] = _variable_value(name, value)
    return checked


def _variable_value(name: str, value: Any) -> Any:
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        if abs(int(value)) > 10**308:
            raise ArgumentError(
                f"variable {name!r} is an integer of more than 308 digits; "
                "expected a number a float64 can hold"
            )
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise ArgumentError(
                f"variable {name!r} = {show(value)} is invalid; expected a finite "
                "number"
            )
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_list_item(name, item) for item in value]
    raise ArgumentError(
        f"variable {name!r} = {show(value)} is invalid; expected a number, "
        "a bool, a string or a list of numbers"
    )


def _list_item(name: str, item: Any) -> Any:
    # Lists are flat (boundaries, values); a nested or recursive list is an
    # error here, before anything walks it.
    if isinstance(item, (list, tuple, Mapping)):
        raise ArgumentError(
            f"variable {name!r} contains a nested list {show(item)}; "
            "lists of boundaries and values contain numbers only"
        )
    return _variable_value(name, item)
