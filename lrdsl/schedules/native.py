"""Native schedules: one vocabulary (init, peak, end, steps, every, gamma)."""

from __future__ import annotations

from .._registry import real, schedule, steps


@schedule(
    family="native",
    params=[steps("steps"), real("peak"), real("start", default=0.0)],
    duration=lambda p: p["steps"],
)
def warmup(xp, s, steps, peak, start):
    """Ramp linearly from ``start`` to ``peak`` over ``steps`` steps.

    .. math::

        f(s) = \\mathrm{start} + (\\mathrm{peak} - \\mathrm{start})
               \\frac{\\min(s, \\mathrm{steps})}{\\mathrm{steps}}

    Args:
      steps: length of the ramp; ``warmup(0, peak)`` is the constant ``peak``.
      peak: the value reached at step ``steps`` and held after it.
      start: the value at step 0.

    Duration: ``steps``.

    >>> import lrdsl
    >>> f = lrdsl.compile("warmup(4, 0.1)")
    >>> f(0), f(2), f(4), f(10)
    (0.0, 0.05, 0.1, 0.1)
    """
    if steps == 0:
        return xp.to_float(s) * 0.0 + peak
    return start + (peak - start) * xp.minimum(s, steps) / steps
