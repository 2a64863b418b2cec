"""The compiled schedule callable and the checks on the steps it is given."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _ast as ast
from ._evaluate import Context, Evaluator
from ._resolve import MAX_STEP
from .errors import ArgumentError, LrdslWarning, StepError


class Schedule:
    """A compiled learning-rate schedule: a pure function of the step.

    ``f(7)`` returns a Python float. ``f(steps)`` with an integer array of any
    shape returns a float64 array of that shape. Steps are whole numbers with
    ``0 <= step <= 2**62``; a whole float such as ``3.0`` is taken as that
    step, and anything else raises :class:`~lrdsl.errors.StepError`.

    Attributes:
      text: the schedule text it was compiled from.
      tree: the parsed AST.
      duration: the number of steps it lasts, or ``math.inf``. It matters only
        when the schedule is sequenced with ``>>``.
      is_layerwise: whether it contains ``lars`` or ``append_LARS``, so that
        :meth:`local_lr` scales it per layer.
      warnings: the :class:`~lrdsl.LrdslWarning` findings from compiling it.
    """

    def __init__(self, root: Evaluator, text: str, tree: ast.Node):
        self._root = root
        self.text = text
        self.tree = tree
        self.warnings: list[LrdslWarning] = []

    @property
    def duration(self) -> int | float:
        duration = self._root.duration
        return math.inf if duration is None else duration

    @property
    def is_layerwise(self) -> bool:
        return self._root.layerwise

    def __repr__(self) -> str:
        return f"lrdsl.Schedule({str(self.tree)!r})"

    def __call__(self, step: Any) -> float | np.ndarray:
        scalar = _scalar_step(step)
        if scalar is not None:
            return self._root.scalar(scalar, scalar)
        steps = _array_steps(step)
        flat = steps.reshape(-1)
        context = Context(sorted=_is_sorted(flat))
        with np.errstate(all="ignore"):
            values = self._root.vector(flat, flat, context)
        out = np.empty(flat.shape, dtype=np.float64)
        out[...] = values
        return out.reshape(steps.shape)

    def local_lr(
        self, step: Any, param_norm: Any, grad_norm: Any
    ) -> float | np.ndarray:
        """Return the per-layer learning rate after LARS scaling.

        Steps broadcast against layers: a step array of shape ``S`` and norms
        of shape ``L`` give an array of shape ``S + L``; a scalar step with
        scalar norms gives a float. A schedule without LARS nodes returns its
        global rate for every layer.

        Args:
          step: the training step(s), as for ``f(step)``.
          param_norm: the L2 norm of each layer's parameters, ``>= 0``.
          grad_norm: the L2 norm of each layer's gradient, ``>= 0``.
        """
        scalar = _scalar_step(step)
        steps = np.asarray(scalar, dtype=np.int64) if scalar is not None else None
        if steps is None:
            steps = _array_steps(step)
        params = _norms(param_norm, "param_norm")
        grads = _norms(grad_norm, "grad_norm")
        try:
            layer_shape = np.broadcast_shapes(params.shape, grads.shape)
        except ValueError:
            raise ArgumentError(
                f"param_norm of shape {params.shape} and grad_norm of shape "
                f"{grads.shape} do not broadcast together"
            ) from None
        params = np.broadcast_to(params, layer_shape).reshape(-1)
        grads = np.broadcast_to(grads, layer_shape).reshape(-1)
        column = steps.reshape(-1, 1)
        context = Context(
            sorted=_is_sorted(column[:, 0]),
            layers=params.shape[0],
            param_norm=params,
            grad_norm=grads,
        )
        out = np.empty((column.shape[0], params.shape[0]), dtype=np.float64)
        with np.errstate(all="ignore"):
            out[...] = self._root.vector(column, column, context)
        result = out.reshape(steps.shape + layer_shape)
        if result.ndim == 0:
            return float(result)
        return result


def _scalar_step(step: Any) -> int | None:
    """Return ``step`` as an int if it is a scalar, ``None`` if an array."""
    if isinstance(step, (bool, np.bool_)):
        raise StepError(f"invalid step {step!r}: a bool is not a step")
    if isinstance(step, numbers.Integral):
        value = int(step)
    elif isinstance(step, numbers.Real):
        value = float(step)
        if not math.isfinite(value) or value != math.floor(value):
            raise StepError(
                f"invalid step {step!r}: steps are whole numbers",
                hint="pass an int, or a float with no fractional part",
            )
        value = int(value)
    elif isinstance(step, (np.ndarray, list, tuple)):
        return None
    else:
        raise StepError(
            f"invalid step {step!r}: expected an int or an array of ints, "
            f"got {type(step).__name__}"
        )
    if not 0 <= value <= MAX_STEP:
        raise StepError(f"invalid step {step!r}: expected 0 <= step <= 2**62")
    return value


def _array_steps(step: Any) -> np.ndarray:
    try:
        steps = np.asarray(step)
    except (ValueError, TypeError) as error:
        raise StepError(f"invalid steps {step!r:.80}: {error}") from None
    kind = steps.dtype.kind
    if kind == "b":
        raise StepError("invalid steps: an array of bools is not steps")
    if kind == "f":
        bad = ~np.isfinite(steps) | (steps != np.floor(steps))
        if bad.any():
            raise StepError(
                f"invalid step {steps[bad].flat[0].item()!r}: steps are whole numbers"
            )
    elif kind not in "iu":
        raise StepError(f"invalid steps of dtype {steps.dtype}: expected integers")
    if steps.size:
        low, high = steps.min(), steps.max()
        if low < 0 or high > MAX_STEP:
            bad_value = low if low < 0 else high
            raise StepError(
                f"invalid step {bad_value.item()!r}: expected 0 <= step <= 2**62"
            )
    return steps.astype(np.int64, copy=False)


def _is_sorted(flat: np.ndarray) -> bool:
    return flat.size < 2 or bool(np.all(flat[1:] >= flat[:-1]))


def _norms(value: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise ArgumentError(f"invalid {name} {value!r:.80}: expected numbers") from None
    if array.ndim > 1:
        raise ArgumentError(
            f"{name} must be a scalar or a 1-D array of per-layer norms, got "
            f"shape {array.shape}"
        )
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise ArgumentError(
            f"invalid {name} {array[bad].flat[0].item()!r}: expected a finite norm >= 0"
        )
    return array
