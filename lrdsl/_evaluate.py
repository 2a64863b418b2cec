"""Evaluator nodes: the compiled form of a schedule.

Each node has two entry points that compute the same values:

* ``vector(local, glob, ctx)`` takes int64 arrays of steps on the node's own
  clock (``local``) and on the training clock (``glob``) and returns an array
  (or a float that broadcasts). In layer-wise mode (``ctx.layers`` set) the
  step arrays are columns of shape ``(n, 1)`` so that LARS nodes broadcast to
  ``(n, layers)``.
* ``scalar(local, glob)`` takes Python ints and returns a float without numpy.

Nodes never branch in Python on step values in ``vector``: sequencing picks
segments with ``searchsorted`` and evaluates each segment on its own slice.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._ops import SCALAR, VECTOR
from ._registry import ScheduleSpec
from .errors import Span


@dataclass
class Context:
    """What a vector evaluation knows besides the steps."""

    # Steps are non-decreasing, so segments are contiguous slices.
    sorted: bool = False
    # Layer-wise evaluation: number of layers and their norms, shape (layers,).
    layers: int | None = None
    param_norm: np.ndarray | None = None
    grad_norm: np.ndarray | None = None


class Evaluator:
    """Base class; ``duration`` is a step count or ``None`` for infinite."""

    duration: int | None = None
    span: Span | None = None

    def children(self) -> tuple[Evaluator, ...]:
        return ()

    @property
    def layerwise(self) -> bool:
        return any(child.layerwise for child in self.children())

    def vector(self, local: np.ndarray, glob: np.ndarray, ctx: Context) -> Any:
        raise NotImplementedError

    def scalar(self, local: int, glob: int) -> float:
        raise NotImplementedError


class Const(Evaluator):
    def __init__(self, value: float, span: Span | None = None):
        self.value = float(value)
        self.span = span

    def vector(self, local, glob, ctx):
        return self.value

    def scalar(self, local, glob):
        return self.value


class Formula(Evaluator):
    """A registered schedule with its checked arguments."""

    def __init__(
        self,
        spec: ScheduleSpec,
        args: dict[str, Any],
        inner: dict[str, Evaluator],
        duration: int | None,
        span: Span | None = None,
    ):
        self.spec = spec
        self.args = args
        self.inner = inner
        self.duration = duration
        self.span = span

    def children(self):
        return tuple(self.inner.values())

    def vector(self, local, glob, ctx):
        kwargs = dict(self.args)
        for name, child in self.inner.items():
            kwargs[name] = child.vector(local, glob, ctx)
        return self.spec.formula(VECTOR, local, **kwargs)

    def scalar(self, local, glob):
        kwargs = dict(self.args)
        for name, child in self.inner.items():
            kwargs[name] = child.scalar(local, glob)
        return float(self.spec.formula(SCALAR, local, **kwargs))


class Sequence(Evaluator):
    """``a >> b >> ...``: part ``i`` runs on ``[starts[i], starts[i+1])``."""

    def __init__(self, parts: list[Evaluator], span: Span | None = None):
        self.parts = parts
        self.starts = [0]
        for part in parts[:-1]:
            self.starts.append(self.starts[-1] + part.duration)
        last = parts[-1].duration
        self.duration = None if last is None else self.starts[-1] + last
        self._starts_array = np.asarray(self.starts, dtype=np.int64)
        self.span = span

    def children(self):
        return tuple(self.parts)

    def vector(self, local, glob, ctx):
        key = local if local.ndim == 1 else local[:, 0]
        size = key.shape[0]
        out = np.empty((size,) if ctx.layers is None else (size, ctx.layers))
        if ctx.sorted:
            bounds = np.searchsorted(key, self._starts_array, side="left").tolist()
            bounds.append(size)
            for index, part in enumerate(self.parts):
                low, high = bounds[index], bounds[index + 1]
                if low < high:
                    start = self.starts[index]
                    out[low:high] = part.vector(
                        local[low:high] - start, glob[low:high], ctx
                    )
            return out
        segment = np.searchsorted(self._starts_array, key, side="right") - 1
        for index, part in enumerate(self.parts):
            rows = np.flatnonzero(segment == index)
            if rows.size:
                start = self.starts[index]
                out[rows] = part.vector(local[rows] - start, glob[rows], ctx)
        return out

    def scalar(self, local, glob):
        index = bisect.bisect_right(self.starts, local) - 1
        return self.parts[index].scalar(local - self.starts[index], glob)


class Global(Evaluator):
    """``global(x)``: ``x`` reads the training step, not its segment's."""

    def __init__(self, inner: Evaluator, span: Span | None = None):
        self.inner = inner
        self.duration = inner.duration
        self.span = span

    def children(self):
        return (self.inner,)

    def vector(self, local, glob, ctx):
        return self.inner.vector(glob, glob, ctx)

    def scalar(self, local, glob):
        return self.inner.scalar(glob, glob)


class WithDuration(Evaluator):
    """``x for N``: the values of ``x`` with duration ``N``."""

    def __init__(self, inner: Evaluator, duration: int, span: Span | None = None):
        self.inner = inner
        self.duration = duration
        self.span = span

    def children(self):
        return (self.inner,)

    def vector(self, local, glob, ctx):
        return self.inner.vector(local, glob, ctx)

    def scalar(self, local, glob):
        return self.inner.scalar(local, glob)


def min_duration(parts: list[Evaluator]) -> int | None:
    """Return the shortest finite duration among ``parts``, or ``None``."""
    finite = [part.duration for part in parts if part.duration is not None]
    return min(finite) if finite else None


_VECTOR_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_SCALAR_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": SCALAR.divide,
}


class Binary(Evaluator):
    """Pointwise ``a op b`` for ``op`` in ``+ - * /``."""

    def __init__(self, op: str, left: Evaluator, right: Evaluator, span=None):
        self.op = op
        self.left = left
        self.right = right
        self.duration = min_duration([left, right])
        self.span = span

    def children(self):
        return (self.left, self.right)

    def vector(self, local, glob, ctx):
        left = self.left.vector(local, glob, ctx)
        right = self.right.vector(local, glob, ctx)
        if isinstance(left, float) and isinstance(right, float):
            return _SCALAR_OPS[self.op](left, right)
        return _VECTOR_OPS[self.op](left, right)

    def scalar(self, local, glob):
        left = self.left.scalar(local, glob)
        right = self.right.scalar(local, glob)
        return _SCALAR_OPS[self.op](left, right)


class Negate(Evaluator):
    def __init__(self, inner: Evaluator, span=None):
        self.inner = inner
        self.duration = inner.duration
        self.span = span

    def children(self):
        return (self.inner,)

    def vector(self, local, glob, ctx):
        return -self.inner.vector(local, glob, ctx)

    def scalar(self, local, glob):
        return -self.inner.scalar(local, glob)


class Extremum(Evaluator):
    """Pointwise ``min(a, b, ...)`` or ``max(a, b, ...)``."""

    def __init__(self, kind: str, parts: list[Evaluator], span=None):
        self.kind = kind
        self.parts = parts
        self.duration = min_duration(parts)
        self.span = span
        self._vector_op = np.minimum if kind == "min" else np.maximum
        self._scalar_op = _scalar_min if kind == "min" else _scalar_max

    def children(self):
        return tuple(self.parts)

    def vector(self, local, glob, ctx):
        result = self.parts[0].vector(local, glob, ctx)
        for part in self.parts[1:]:
            result = self._vector_op(result, part.vector(local, glob, ctx))
        return result

    def scalar(self, local, glob):
        result = self.parts[0].scalar(local, glob)
        for part in self.parts[1:]:
            result = self._scalar_op(result, part.scalar(local, glob))
        return result


# numpy's minimum and maximum propagate NaN; Python's min and max do not.
def _scalar_min(a: float, b: float) -> float:
    return math.nan if a != a or b != b else min(a, b)


def _scalar_max(a: float, b: float) -> float:
    return math.nan if a != a or b != b else max(a, b)


class LayerScaling(Evaluator):
    """A LARS node: the inner rate, scaled per layer by a trust ratio.

    ``ratio(param_norm, grad_norm)`` maps norm arrays of shape ``(layers,)``
    to the factor that multiplies the inner rate. Outside layer-wise
    evaluation the node passes the inner rate through unchanged.
    """

    def __init__(self, inner: Evaluator, ratio, span=None):
        self.inner = inner
        self.ratio = ratio
        self.duration = inner.duration
        self.span = span

    def children(self):
        return (self.inner,)

    @property
    def layerwise(self) -> bool:
        return True

    def vector(self, local, glob, ctx):
        rate = self.inner.vector(local, glob, ctx)
        if ctx.layers is None:
            return rate
        return rate * self.ratio(ctx.param_norm, ctx.grad_norm)

    def scalar(self, local, glob):
        return self.inner.scalar(local, glob)
