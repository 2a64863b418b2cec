"""The compiled schedule callable and the checks on the steps it is given.

An array of steps is checked and evaluated in blocks of ``BLOCK_STEPS``
steps, written straight into the result. A formula's temporaries then stay
in the CPU cache, and the extra memory is a few blocks, not a few copies of
the array. Each block is tested for being sorted, which lets sequences cut
it into one slice per segment, and gives its range from its two ends.
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import TYPE_CHECKING, Any

from . import _ast as ast
from ._evaluate import Context, Evaluator
from ._resolve import MAX_STEP
from .errors import ArgumentError, LrdslWarning, StepError, show

if TYPE_CHECKING:
    import numpy as np

# Steps per block of the vector path: 8192 float64 values are 64 KiB, so the
# handful of temporaries a formula creates fit in a 512 KiB or larger L2
# cache. NOTE: tuned on one AMD EPYC (1 MiB L2), where blocks of 8192 to 65536
# steps timed within the machine's noise for the cosine benchmark.
BLOCK_STEPS = 8192


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
        self._scalar = root.scalar_function()
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
        # The common case first: a Python int in range needs no other check.
        if type(step) is int and 0 <= step <= MAX_STEP:
            return self._scalar(step, step)
        scalar = _scalar_step(step)
        if scalar is not None:
            return self._scalar(scalar, scalar)

        import numpy as np

        steps = _array_steps(step)
        flat = steps.reshape(-1)
        out = np.empty(flat.shape, dtype=np.float64)
        _evaluate_blocks(self._root, flat, out, Context())
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
        import numpy as np

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
        context = Context(layers=params.shape[0], param_norm=params, grad_norm=grads)
        out = np.empty((column.shape[0], params.shape[0]), dtype=np.float64)
        _evaluate_blocks(self._root, column, out, context)
        result = out.reshape(steps.shape + layer_shape)
        if result.ndim == 0:
            return float(result)
        return result


def _evaluate_blocks(
    root: Evaluator, steps: np.ndarray, out: np.ndarray, context: Context
) -> None:
    """Check ``steps`` and write ``root``'s values into ``out``, block by block.

    ``steps`` is 1-D, or a column ``(n, 1)`` in layer-wise mode, where ``out``
    is ``(n, layers)``. Values are elementwise, so blocks are independent.
    """
    import numpy as np

    size = steps.shape[0]
    block = BLOCK_STEPS
    if context.layers:
        block = max(1, BLOCK_STEPS // context.layers)
    with np.errstate(all="ignore"):
        for low in range(0, size, block):
            high = min(size, low + block)
            checked, context.sorted = _checked_block(steps[low:high])
            root.vector_into(checked, checked, context, out[low:high])


def _checked_block(block: np.ndarray) -> tuple[np.ndarray, bool]:
    """Range-check a block of integer or whole-float steps.

    Returns the block as int64 and whether it is sorted (non-decreasing).
    Sorted blocks need no ``min`` and ``max``: their ends are the extremes.
    """
    import numpy as np

    if block.dtype != np.int64:
        _check_range(block, block.min(), block.max())
        block = block.astype(np.int64)
    flat = block.reshape(-1)
    in_order = flat.shape[0] < 2 or bool((flat[1:] >= flat[:-1]).all())
    if in_order:
        _check_range(block, flat[0], flat[-1])
    else:
        _check_range(block, flat.min(), flat.max())
    return block, in_order


def _check_range(block: np.ndarray, low: Any, high: Any) -> None:
    if block.dtype.kind == "f":
        import numpy as np

        bad = ~np.isfinite(block) | (block != np.floor(block))
        if bad.any():
            raise StepError(
                f"invalid step {show(block[bad].flat[0].item())}: steps are whole "
                "numbers"
            )
    if low < 0 or high > MAX_STEP:
        bad_value = low if low < 0 else high
        raise StepError(
            f"invalid step {show(bad_value.item())}: expected 0 <= step <= 2**62"
        )


def _scalar_step(step: Any) -> int | None:
    """Return ``step`` as an int if it is a scalar, ``None`` if an array."""
    # A numpy value can only be passed once numpy has been imported.
    np = sys.modules.get("numpy")
    if isinstance(step, bool) or (np is not None and isinstance(step, np.bool_)):
        raise StepError(f"invalid step {show(step)}: a bool is not a step")
    # numpy's own types first: isinstance against the numbers ABCs is slow.
    if isinstance(step, int) or (np is not None and isinstance(step, np.integer)):
        # numpy counts timedelta64 as an integer type.
        if np is not None and isinstance(step, np.timedelta64):
            raise StepError(
                f"invalid step {show(step)}: a time is not a step",
                hint="convert it to a whole number of steps first",
            )
        value = int(step)
    elif isinstance(step, numbers.Integral):
        value = int(step)
    elif isinstance(step, (float, numbers.Real)):
        value = float(step)
        if not math.isfinite(value) or value != math.floor(value):
            raise StepError(
                f"invalid step {show(step)}: steps are whole numbers",
                hint="pass an int, or a float with no fractional part",
            )
        value = int(value)
    elif isinstance(step, (list, tuple)) or (
        np is not None and isinstance(step, np.ndarray)
    ):
        return None
    else:
        raise StepError(
            f"invalid step {show(step)}: expected an int or an array of ints, "
            f"got {type(step).__name__}"
        )
    if not 0 <= value <= MAX_STEP:
        raise StepError(f"invalid step {show(step)}: expected 0 <= step <= 2**62")
    return value


def _array_steps(step: Any) -> np.ndarray:
    """Convert to an array of integer or float steps; values are checked later."""
    import numpy as np

    if isinstance(step, np.ma.MaskedArray) and np.ma.is_masked(step):
        raise StepError(
            "invalid steps: a masked array with masked steps",
            hint="pass only the steps to evaluate, for example steps.compressed()",
        )
    try:
        steps = np.asarray(step)
    except (ValueError, TypeError):
        raise StepError(
            f"invalid steps {show(step)}: expected a rectangular array of integers"
        ) from None
    kind = steps.dtype.kind
    if kind == "b":
        raise StepError("invalid steps: an array of bools is not steps")
    if kind not in "iuf":
        raise StepError(f"invalid steps of dtype {steps.dtype}: expected integers")
    return steps


def _norms(value: Any, name: str) -> np.ndarray:
    import numpy as np

    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise ArgumentError(f"invalid {name} {show(value)}: expected numbers") from None
    if array.dtype.kind not in "iuf":
        # Strings, bools, complex numbers and objects are not norms, even
        # where numpy could convert them.
        raise ArgumentError(
            f"invalid {name} {show(value)}: expected real numbers, got dtype "
            f"{array.dtype}"
        )
    array = array.astype(np.float64)
    if array.ndim > 1:
        raise ArgumentError(
            f"{name} must be a scalar or a 1-D array of per-layer norms, got "
            f"shape {array.shape}"
        )
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise ArgumentError(
            f"invalid {name} {show(array[bad].flat[0].item())}: expected a finite "
            "norm >= 0"
        )
    return array
