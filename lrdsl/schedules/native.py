"""Native schedules: one vocabulary (init, peak, end, steps, every, gamma).

Every native schedule counts from step 0 on its own clock. For those with a
finite duration, ``t = min(s, steps)``, so they hold their end value after
``steps``.
"""

from __future__ import annotations

from .._registry import real, schedule, steps


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
        return xp.to_float(s) * 0.0 + peak
    return start + (peak - start) * xp.minimum(s, steps) / steps
