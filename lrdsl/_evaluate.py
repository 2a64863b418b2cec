"""Evaluator nodes: the compiled form of a schedule.

Each node has two entry points that compute the same values:

* ``vector(local, glob, ctx)`` takes int64 arrays of steps on the node's own
  clock (``local``) and on the training clock (``glob``) and returns an array
  (or a float that broadcasts). In layer-wise mode (``ctx.layers`` set) the
  step arrays are columns of shape ``(n, 1)`` so that LARS nodes broadcast to
  ``(n, layers)``.
* ``scalar(local, glob)`` takes Python ints and returns a float without numpy.

Two more entry points make evaluation faster. The base class implements both
with the two above, so a new node needs neither:

* ``vector_into(local, glob, ctx, out)`` writes the values into ``out``, an
  array of the result's shape, instead of returning a new array.
* ``scalar_function()`` returns a function ``(local, glob) -> float`` with
  the node's arguments bound once, for the per-step scalar path.

Nodes never branch in Python on step values in ``vector``: sequencing picks
segments with ``searchsorted`` and evaluates each segment on its own slice.
:class:`~lrdsl.Schedule` passes the vector path blocks of a few thousand
steps, so that the temporaries of a formula stay in the CPU cache. numpy is
imported inside the vector methods, so the scalar path never loads it.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._ops import SCALAR, ArrayTuple, vector_namespace
from ._registry import ScheduleSpec
from .errors import Span

if TYPE_CHECKING:
    import numpy as np

# A compiled scalar evaluator: (local step, global step) -> rate.
ScalarFunction = Callable[[int, int], float]

# In the unsorted vector path, a sequence selects each segment present with a
# mask when there are at most this many, and groups them with one sort above.
MAX_MASKED_SEGMENTS = 8


@dataclass
class Context:
    """The inputs of a vector evaluation besides the steps."""

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

    def vector_into(
        self, local: np.ndarray, glob: np.ndarray, ctx: Context, out: np.ndarray
    ) -> None:
        """Write the values of :meth:`vector` into ``out`` (same shape)."""
        out[...] = self.vector(local, glob, ctx)

    def scalar_function(self) -> ScalarFunction:
        """Return a function that computes :meth:`scalar` with less overhead."""
        return self.scalar


class Const(Evaluator):
    def __init__(self, value: float, span: Span | None = None):
        self.value = float(value)
        self.span = span

    def vector(self, local, glob, ctx):
        return self.value

    def scalar(self, local, glob):
        return self.value

    def vector_into(self, local, glob, ctx, out):
        out.fill(self.value)

    def scalar_function(self):
        value = self.value
        return lambda local, glob: value


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
        # List arguments keep their numpy conversion from one call to the next.
        self.args = {
            name: ArrayTuple(value) if type(value) is tuple else value
            for name, value in args.items()
        }
        self.inner = inner
        self.duration = duration
        self.span = span
        # Kernels apply when no argument is a schedule.
        self._kernel = spec.vector_kernel if not inner else None
        self._fixed = self._positional_args()

    def children(self):
        return tuple(self.inner.values())

    def vector_into(self, local, glob, ctx, out):
        if self._kernel is None or ctx.layers is not None:
            out[...] = self.vector(local, glob, ctx)
        else:
            self._kernel(local, out, *self._fixed)

    def vector(self, local, glob, ctx):
        kwargs = dict(self.args)
        for name, child in self.inner.items():
            kwargs[name] = child.vector(local, glob, ctx)
        return self.spec.formula(vector_namespace(), local, **kwargs)

    def scalar(self, local, glob):
        kwargs = dict(self.args)
        for name, child in self.inner.items():
            kwargs[name] = child.scalar(local, glob)
        return float(self.spec.formula(SCALAR, local, **kwargs))

    def _positional_args(self) -> tuple:
        # The registry checks that formulas and kernels take the declared
        # parameters in order, so arguments can be bound by position.
        return tuple(self.args.get(param.name) for param in self.spec.params)

    def scalar_function(self):
        formula = self.spec.formula
        names = [param.name for param in self.spec.params]
        fixed = self._fixed
        kernel = self.spec.scalar_kernel
        if kernel is not None and not self.inner:
            return lambda local, glob: kernel(local, *fixed)
        if not self.inner:

            def run(local, glob):
                return float(formula(SCALAR, local, *fixed))

            return run

        slots = [
            (names.index(name), child.scalar_function())
            for name, child in self.inner.items()
        ]

        def run_with_inner(local, glob):
            values = list(fixed)
            for position, child in slots:
                values[position] = child(local, glob)
            return float(formula(SCALAR, local, *values))

        return run_with_inner


class Sequence(Evaluator):
    """``a >> b >> ...``: part ``i`` runs on ``[starts[i], starts[i+1])``."""

    def __init__(self, parts: list[Evaluator], span: Span | None = None):
        self.parts = parts
        self.starts = [0]
        for part in parts[:-1]:
            self.starts.append(self.starts[-1] + part.duration)
        last = parts[-1].duration
        self.duration = None if last is None else self.starts[-1] + last
        self._starts_array = None
        self.span = span

    def children(self):
        return tuple(self.parts)

    def starts_array(self) -> np.ndarray:
        """Return ``starts`` as an int64 array (converted once)."""
        if self._starts_array is None:
            import numpy as np

            self._starts_array = np.asarray(self.starts, dtype=np.int64)
        return self._starts_array

    def vector(self, local, glob, ctx):
        import numpy as np

        size = local.shape[0]
        out = np.empty((size,) if ctx.layers is None else (size, ctx.layers))
        self.vector_into(local, glob, ctx, out)
        return out

    def vector_into(self, local, glob, ctx, out):
        key = local if local.ndim == 1 else local[:, 0]
        if key.shape[0] == 0:
            return
        if ctx.sorted:
            self._sorted_into(key, local, glob, ctx, out)
        else:
            self._unsorted_into(key, local, glob, ctx, out)

    def _part_into(self, index, local, glob, ctx, out):
        start = self.starts[index]
        if start:
            local = local - start
        self.parts[index].vector_into(local, glob, ctx, out)

    def _sorted_into(self, key, local, glob, ctx, out):
        # The first and last steps bound the segments that occur, so only
        # those segments' starts are searched, and each gets one slice.
        first = bisect.bisect_right(self.starts, key[0].item()) - 1
        last = bisect.bisect_right(self.starts, key[-1].item()) - 1
        if first == last:
            self._part_into(first, local, glob, ctx, out)
            return

        import numpy as np

        cuts = np.searchsorted(key, self.starts_array()[first + 1 : last + 1])
        bounds = [0, *cuts.tolist(), key.shape[0]]
        for offset, index in enumerate(range(first, last + 1)):
            low, high = bounds[offset], bounds[offset + 1]
            if low < high:
                self._part_into(
                    index, local[low:high], glob[low:high], ctx, out[low:high]
                )

    def _unsorted_into(self, key, local, glob, ctx, out):
        import numpy as np

        segment = np.searchsorted(self.starts_array(), key, side="right") - 1
        counts = np.bincount(segment, minlength=len(self.parts))
        present = np.flatnonzero(counts).tolist()
        if len(present) == 1:
            self._part_into(present[0], local, glob, ctx, out)
            return

        if len(present) <= MAX_MASKED_SEGMENTS:
            groups = [(index, np.flatnonzero(segment == index)) for index in present]
        else:
            order = np.argsort(segment, kind="stable")
            ends = np.cumsum(counts).tolist()
            groups = [
                (index, order[ends[index] - counts[index] : ends[index]])
                for index in present
            ]
        for index, rows in groups:
            values = np.empty((rows.shape[0], *out.shape[1:]))
            self._part_into(index, local[rows], glob[rows], ctx, values)
            out[rows] = values

    def scalar(self, local, glob):
        index = bisect.bisect_right(self.starts, local) - 1
        return self.parts[index].scalar(local - self.starts[index], glob)

    def scalar_function(self):
        functions = [part.scalar_function() for part in self.parts]
        starts = self.starts
        if len(functions) == 2 and starts[1] > 0:
            first, second = functions
            boundary = starts[1]

            def run_two(local, glob):
                if local < boundary:
                    return first(local, glob)
                return second(local - boundary, glob)

            return run_two

        def run(local, glob):
            index = bisect.bisect_right(starts, local) - 1
            return functions[index](local - starts[index], glob)

        return run


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

    def vector_into(self, local, glob, ctx, out):
        self.inner.vector_into(glob, glob, ctx, out)

    def scalar_function(self):
        inner = self.inner.scalar_function()
        return lambda local, glob: inner(glob, glob)


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

    def vector_into(self, local, glob, ctx, out):
        self.inner.vector_into(local, glob, ctx, out)

    def scalar_function(self):
        return self.inner.scalar_function()


def min_duration(parts: list[Evaluator]) -> int | None:
    """Return the shortest finite duration among ``parts``, or ``None``."""
    finite = [part.duration for part in parts if part.duration is not None]
    return min(finite) if finite else None


_UFUNC_NAMES = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
_SCALAR_OPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
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

        import numpy as np

        return getattr(np, _UFUNC_NAMES[self.op])(left, right)

    def scalar(self, local, glob):
        left = self.left.scalar(local, glob)
        right = self.right.scalar(local, glob)
        return _SCALAR_OPS[self.op](left, right)

    def scalar_function(self):
        left = self.left.scalar_function()
        right = self.right.scalar_function()
        op = _SCALAR_OPS[self.op]
        return lambda local, glob: op(left(local, glob), right(local, glob))


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

    def scalar_function(self):
        inner = self.inner.scalar_function()
        return lambda local, glob: -inner(local, glob)


class Extremum(Evaluator):
    """Pointwise ``min(a, b, ...)`` or ``max(a, b, ...)``."""

    def __init__(self, kind: str, parts: list[Evaluator], span=None):
        self.kind = kind
        self.parts = parts
        self.duration = min_duration(parts)
        self.span = span
        self._scalar_op = _scalar_min if kind == "min" else _scalar_max

    def children(self):
        return tuple(self.parts)

    def vector(self, local, glob, ctx):
        import numpy as np

        vector_op = np.minimum if self.kind == "min" else np.maximum
        result = self.parts[0].vector(local, glob, ctx)
        for part in self.parts[1:]:
            result = vector_op(result, part.vector(local, glob, ctx))
        return result

    def scalar(self, local, glob):
        result = self.parts[0].scalar(local, glob)
        for part in self.parts[1:]:
            result = self._scalar_op(result, part.scalar(local, glob))
        return result

    def scalar_function(self):
        functions = [part.scalar_function() for part in self.parts]
        op = self._scalar_op

        def run(local, glob):
            result = functions[0](local, glob)
            for function in functions[1:]:
                result = op(result, function(local, glob))
            return result

        return run


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

    def scalar_function(self):
        return self.inner.scalar_function()
