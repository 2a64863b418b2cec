"""Native schedules: one vocabulary (init, peak, end, steps, every, gamma).

Every native schedule counts from step 0 on its own clock. For those with a
finite duration, ``t = min(s, steps)``, so they hold their end value after
``steps``.

A schedule of zero steps reads its end value at every step. Factors
(``gamma``) must be ``>= 0``, because a negative factor has no real power at
fractional exponents and would flip the sign of the rate at each decay.
"""

from __future__ import annotations

import bisect
import math
from itertools import pairwise

from .._ops import as_array
from .._registry import (
    Rule,
    boolean,
    nonnegative,
    positive,
    real,
    real_list,
    scalar_kernel_for,
    schedule,
    steps,
    steps_list,
    vector_kernel_for,
)


def _ramp(xp, s, steps, start, end):
    """Go linearly from ``start`` at step 0 to ``end`` at step ``steps > 0``.

    The value is exactly ``end`` from step ``steps`` on, and rounding never
    takes it outside ``[start, end]``, so the ramp stays monotone.
    """
    fraction = xp.minimum(s, steps) / steps
    inside = xp.clip(start + (end - start) * fraction, min(start, end), max(start, end))
    return xp.where(s >= steps, end, inside)


def _hold(xp, s, value):
    """Return ``value`` at every step, shaped like ``s``."""
    return xp.to_float(s) * 0.0 + value


# The kernels below repeat the formulas' operations in the same order, in
# place in ``out`` (vector) or on Python numbers (scalar), so their values are
# bit-identical to the formulas'.


def _ramp_into(s, out, steps, start, end):
    import numpy as np

    if steps == 0:
        out.fill(end)
        return
    np.minimum(s, steps, out=out)
    out /= steps
    out *= end - start
    out += start
    np.clip(out, min(start, end), max(start, end), out=out)
    np.copyto(out, end, where=s >= steps)


def _ramp_at(s, steps, start, end):
    if steps == 0:
        return float(s) * 0.0 + end
    if s >= steps:
        return end
    value = start + (end - start) * (s / steps)
    return min(max(value, min(start, end)), max(start, end))


def _strictly_increasing(values) -> bool:
    return all(a < b for a, b in pairwise(values))


def _non_decreasing(values) -> bool:
    return all(a <= b for a, b in pairwise(values))


@schedule(
    family="native",
    params=[steps("steps"), real("peak"), real("start", default=0.0)],
    duration=lambda p: p["steps"],
)
def warmup(xp, s, steps, peak, start):
    """Ramp linearly from ``start`` to ``peak`` over ``steps`` steps.

        f(s) = start + (peak - start) * t / steps,   t = min(s, steps)

    Args:
      steps: length of the ramp. ``warmup(0, peak)`` is the constant ``peak``.
      peak: the value reached at step ``steps`` and held after it.
      start: the value at step 0.

    Duration: ``steps``.

    Equivalent: PyTorch ``LinearLR(start_factor=start/peak, total_iters=steps)``
    on a base rate of ``peak``; optax ``linear_schedule(start, peak, steps)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("warmup(4, 0.1)")
    >>> f(0), f(2), f(4), f(10)
    (0.0, 0.05, 0.1, 0.1)
    """
    if steps == 0:
        return _hold(xp, s, peak)
    return _ramp(xp, s, steps, start, peak)


@vector_kernel_for("warmup")
def _warmup_into(s, out, steps, peak, start):
    _ramp_into(s, out, steps, start, peak)


@scalar_kernel_for("warmup")
def _warmup_at(s, steps, peak, start):
    return _ramp_at(s, steps, start, peak)


@schedule(
    family="native",
    params=[real("init"), real("end"), steps("steps")],
    duration=lambda p: p["steps"],
)
def linear(xp, s, init, end, steps):
    """Go linearly from ``init`` to ``end`` over ``steps`` steps, then hold.

        f(s) = init + (end - init) * t / steps,   t = min(s, steps)

    Args:
      init: the value at step 0.
      end: the value reached at step ``steps`` and held after it.
      steps: length of the ramp. ``linear(init, end, 0)`` is the constant
        ``end``.

    Duration: ``steps``.

    Equivalent: optax ``linear_schedule(init, end, steps)``; PyTorch
    ``LinearLR(start_factor=init/base, end_factor=end/base, total_iters=steps)``
    on a base rate ``base``.

    >>> import lrdsl
    >>> f = lrdsl.compile("linear(1.0, 0.5, 4)")
    >>> f(0), f(2), f(4), f(100)
    (1.0, 0.75, 0.5, 0.5)
    """
    if steps == 0:
        return _hold(xp, s, end)
    return _ramp(xp, s, steps, init, end)


@vector_kernel_for("linear")
def _linear_into(s, out, init, end, steps):
    _ramp_into(s, out, steps, init, end)


@scalar_kernel_for("linear")
def _linear_at(s, init, end, steps):
    return _ramp_at(s, steps, init, end)


@schedule(
    family="native",
    params=[real("init"), steps("steps"), real("end", default=0.0)],
    duration=lambda p: p["steps"],
)
def cosine(xp, s, init, steps, end):
    """Anneal from ``init`` to ``end`` along half a cosine, then hold ``end``.

        f(s) = end + (init - end) * (1 + cos(pi * t / steps)) / 2,
        t = min(s, steps)

    Args:
      init: the value at step 0.
      steps: length of the half period. ``cosine(init, 0, end)`` is the
        constant ``end``.
      end: the value reached at step ``steps`` and held after it.

    Duration: ``steps``.

    Equivalent: optax ``cosine_decay_schedule(init, steps, alpha=end/init)``;
    PyTorch ``CosineAnnealingLR(T_max=steps, eta_min=end)`` on a base rate of
    ``init`` for ``s <= steps``. After ``T_max`` PyTorch rises again, but
    this schedule stays at ``end``.

    >>> import lrdsl
    >>> f = lrdsl.compile("cosine(1.0, 4)")
    >>> f(0), f(2), f(4), f(100)
    (1.0, 0.5, 0.0, 0.0)
    """
    if steps == 0:
        return _hold(xp, s, end)
    weight = (1 + xp.cos(xp.pi * (xp.minimum(s, steps) / steps))) / 2
    return xp.where(s >= steps, end, end + (init - end) * weight)


@vector_kernel_for("cosine")
def _cosine_into(s, out, init, steps, end):
    import numpy as np

    if steps == 0:
        out.fill(end)
        return
    np.minimum(s, steps, out=out)
    out /= steps
    out *= np.pi
    np.cos(out, out=out)
    out += 1
    out /= 2
    out *= init - end
    out += end
    np.copyto(out, end, where=s >= steps)


@scalar_kernel_for("cosine")
def _cosine_at(s, init, steps, end):
    if steps == 0:
        return float(s) * 0.0 + end
    if s >= steps:
        return end
    return end + (init - end) * ((1 + math.cos(math.pi * (s / steps))) / 2)


@schedule(
    family="native",
    params=[
        real("init"),
        real("end"),
        steps("steps"),
        real("power", default=1.0),
    ],
    rules=[positive("power")],
    duration=lambda p: p["steps"],
)
def polynomial(xp, s, init, end, steps, power):
    """Decay from ``init`` to ``end`` along a power curve, then hold ``end``.

        f(s) = (init - end) * (1 - t / steps)**power + end,   t = min(s, steps)

    Args:
      init: the value at step 0.
      end: the value reached at step ``steps`` and held after it.
      steps: length of the decay. ``polynomial(init, end, 0)`` is the
        constant ``end``.
      power: the exponent, ``0 < power``. ``power = 1`` is ``linear``. Zero
        would never reach ``end`` and a negative power divides by zero at
        step ``steps``, so both are rejected.

    Duration: ``steps``.

    Equivalent: optax ``polynomial_schedule(init, end, power, steps)``; Paddle
    ``polynomial_decay(init, steps, end, power)`` without ``cycle``; PyTorch
    ``PolynomialLR(total_iters=steps, power=power)`` when ``end`` is 0.

    >>> import lrdsl
    >>> f = lrdsl.compile("polynomial(1.0, 0.0, 4, power=2.0)")
    >>> f(0), f(2), f(4), f(100)
    (1.0, 0.25, 0.0, 0.0)
    """
    if steps == 0:
        return _hold(xp, s, end)
    remaining = 1 - xp.minimum(s, steps) / steps
    return (init - end) * xp.power(remaining, power) + end


@schedule(
    family="native",
    params=[
        real("init"),
        real("gamma"),
        steps("every", default=1),
        boolean("staircase", default=False),
    ],
    rules=[nonnegative("gamma"), positive("every")],
)
def exponential(xp, s, init, gamma, every, staircase):
    """Multiply by ``gamma`` every ``every`` steps, smoothly or in stairs.

        f(s) = init * gamma**(s / every)         staircase=false
        f(s) = init * gamma**floor(s / every)    staircase=true

    Args:
      init: the value at step 0.
      gamma: the factor per ``every`` steps, ``0 <= gamma``. ``gamma > 1``
        grows (a learning-rate range test). ``gamma = 0`` is ``init`` at
        step 0 and 0 after it (after ``every`` steps with ``staircase``).
      every: steps per factor of ``gamma``, ``0 < every``.
      staircase: floor the exponent, so the value changes only at multiples
        of ``every``. The floor is integer division, exact up to ``2**62``.

    Duration: infinite.

    Equivalent: optax ``exponential_decay(init, every, gamma,
    staircase=staircase)``; PyTorch ``ExponentialLR(gamma)`` and Paddle
    ``ExponentialDecay(init, gamma)`` when ``every`` is 1; Paddle
    ``exponential_decay(init, every, gamma, staircase)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("exponential(1.0, 0.5, every=2)")
    >>> f(0), f(1), f(2), f(6)
    (1.0, 0.7071067811865476, 0.5, 0.125)
    >>> g = lrdsl.compile("exponential(1.0, 0.5, every=2, staircase=true)")
    >>> g(0), g(1), g(2), g(7)
    (1.0, 1.0, 0.5, 0.125)
    """
    exponent = s // every if staircase else s / every
    return init * xp.power(gamma, exponent)


@schedule(
    family="native",
    params=[real("init"), steps("every"), real("gamma", default=0.1)],
    rules=[positive("every"), nonnegative("gamma")],
)
def step(xp, s, init, every, gamma):
    """Multiply by ``gamma`` at every multiple of ``every`` steps.

        f(s) = init * gamma**floor(s / every)

    Args:
      init: the value for steps ``0 <= s < every``.
      every: steps between two decays, ``0 < every``. The floor is integer
        division, exact up to ``2**62``.
      gamma: the factor at each decay, ``0 <= gamma``.

    Duration: infinite.

    Equivalent: PyTorch ``StepLR(step_size=every, gamma=gamma)``; Paddle
    ``StepDecay(init, step_size=every, gamma=gamma)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("step(1.0, 3, gamma=0.5)")
    >>> f(0), f(2), f(3), f(9)
    (1.0, 1.0, 0.5, 0.125)
    """
    return init * xp.power(gamma, s // every)


@schedule(
    family="native",
    params=[
        real("init"),
        steps_list("milestones"),
        real("gamma", default=0.1),
    ],
    rules=[
        Rule(
            "milestones[0] <= milestones[1] <= ...",
            lambda p: _non_decreasing(p["milestones"]),
            "milestones",
        ),
        nonnegative("gamma"),
    ],
)
def multistep(xp, s, init, milestones, gamma):
    """Multiply by ``gamma`` at each milestone.

        f(s) = init * gamma**k,   k = number of milestones m with m <= s

    Args:
      init: the value before the first milestone.
      milestones: the steps where a decay takes effect, sorted
        (``milestones[0] <= milestones[1] <= ...``). A milestone listed twice
        applies ``gamma`` twice, and a milestone at 0 applies from step 0.
        An empty list gives the constant ``init``.
      gamma: the factor at each milestone, ``0 <= gamma``.

    Duration: infinite.

    Equivalent: PyTorch ``MultiStepLR(milestones, gamma)``; Paddle
    ``MultiStepDecay(init, milestones, gamma)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("multistep(1.0, [2, 5], gamma=0.5)")
    >>> f(0), f(2), f(4), f(5), f(100)
    (1.0, 0.5, 0.5, 0.25, 0.25)
    """
    passed = xp.searchsorted(milestones, s, side="right")
    return init * xp.power(gamma, passed)


@schedule(
    family="native",
    params=[steps_list("boundaries"), real_list("values")],
    rules=[
        Rule(
            "boundaries[0] < boundaries[1] < ...",
            lambda p: _strictly_increasing(p["boundaries"]),
            "boundaries",
        ),
        Rule(
            "len(values) == len(boundaries) + 1",
            lambda p: len(p["values"]) == len(p["boundaries"]) + 1,
            "values",
        ),
    ],
)
def piecewise(xp, s, boundaries, values):
    """Hold ``values[i]`` from ``boundaries[i - 1]`` up to ``boundaries[i]``.

        f(s) = values[i]   for the first i with s < boundaries[i],
        f(s) = values[-1]  when s >= boundaries[-1]

    Each value holds on the half-open interval
    ``[boundaries[i - 1], boundaries[i])``.

    Args:
      boundaries: the steps where the value changes, strictly increasing
        (``boundaries[0] < boundaries[1] < ...``). A boundary at 0 means
        ``values[0]`` is never used. An empty list gives the constant
        ``values[0]``.
      values: one more value than boundaries,
        ``len(values) == len(boundaries) + 1``.

    Duration: infinite.

    Equivalent: Paddle ``piecewise_decay(boundaries, values)`` and
    ``PiecewiseDecay(boundaries, values)``, which also accept unsorted or
    repeated boundaries; ``piecewise`` rejects them.

    >>> import lrdsl
    >>> f = lrdsl.compile("piecewise([3, 6], [1.0, 0.5, 0.25])")
    >>> f(0), f(2), f(3), f(6), f(100)
    (1.0, 1.0, 0.5, 0.25, 0.25)
    """
    index = xp.searchsorted(boundaries, s, side="right")
    return xp.take(values, index)


@vector_kernel_for("piecewise")
def _piecewise_into(s, out, boundaries, values):
    import numpy as np

    index = np.searchsorted(as_array(boundaries, np.int64), s, side="right")
    np.take(as_array(values, np.float64), index, out=out)


@scalar_kernel_for("piecewise")
def _piecewise_at(s, boundaries, values):
    return float(values[bisect.bisect_right(boundaries, s)])


@schedule(
    family="native",
    params=[real("peak"), steps("warmup"), real("init", default=0.0)],
    rules=[positive("warmup")],
)
def inverse_sqrt(xp, s, peak, warmup, init):
    """Ramp linearly to ``peak``, then decay with the inverse square root.

        f(s) = init + (peak - init) * s / warmup   for s < warmup
        f(s) = peak * sqrt(warmup / s)             for s >= warmup

    The two pieces meet at ``f(warmup) = peak``.

    Args:
      peak: the value at step ``warmup``, the maximum when ``init <= peak``.
      warmup: length of the ramp, ``0 < warmup``. Zero is rejected because
        ``peak * sqrt(0 / s)`` is 0 at every step after step 0. Without a
        ramp, write ``inverse_sqrt(peak, 1, init=peak)``: ``peak`` at steps 0
        and 1, then ``peak / sqrt(s)``.
      init: the value at step 0. Step 0 lies on the ramp, so the formula
        never divides by zero.

    Duration: infinite.

    Equivalent: Paddle ``noam_decay(d_model, warmup, lr)`` at step ``s`` is
    this schedule at step ``s + 1`` with
    ``peak = lr * (d_model * warmup)**-0.5`` and ``init = 0``.

    >>> import lrdsl
    >>> f = lrdsl.compile("inverse_sqrt(1.0, 4)")
    >>> f(0), f(2), f(4), f(16)
    (0.0, 0.5, 1.0, 0.5)
    """
    ramp = _ramp(xp, s, warmup, init, peak)
    decay = peak * xp.sqrt(warmup / xp.maximum(s, warmup))
    return xp.where(s < warmup, ramp, decay)
