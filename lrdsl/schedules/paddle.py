"""Paddle's classic schedules: the ``fluid.layers`` learning-rate functions.

Names, parameter names, defaults and positional order are Paddle's, and the
values are those of Paddle's static graph on its k-th executor run at step
``k``. Paddle computes in float32 and lrdsl in float64, so they agree to
about a relative 1e-6.

These schedules accept what Paddle accepts, even where Paddle's result is
surprising (a piecewise boundary at 0, unsorted boundaries, ``cosine_decay``
past ``epochs``). Arguments that Paddle rejects, or that leave its formula
undefined, are compile errors. All of them have infinite duration.
"""

from __future__ import annotations

from itertools import accumulate, pairwise

from .. import _evaluate as ev
from .._ops import ArrayTuple
from .._registry import (
    Advice,
    Rule,
    boolean,
    positive,
    real,
    real_list,
    sched,
    schedule,
    steps,
    steps_list,
)


def _hold(xp, s, value):
    """Return ``value`` at every step, shaped like ``s``."""
    return xp.to_float(s) * 0.0 + value


def _running_max(boundaries):
    """Return the running maxima of ``boundaries``, once per compiled schedule.

    The vector path calls a formula once per block of steps, and this pass
    over the list would otherwise be repeated for each block.
    """
    if isinstance(boundaries, ArrayTuple):
        return boundaries.derived("running_max", _running_max_of)
    return _running_max_of(boundaries)


def _running_max_of(boundaries):
    return tuple(accumulate(boundaries, max))


def _progress(xp, s, decay_steps, staircase):
    """Return ``s / decay_steps``, floored when ``staircase``."""
    if staircase:
        return s // decay_steps
    return s / decay_steps


_DECAY_PARAMS = [
    real("learning_rate"),
    steps("decay_steps"),
    real("decay_rate"),
    boolean("staircase", default=False),
]


@schedule(
    family="paddle",
    params=[real("d_model"), steps("warmup_steps"), real("learning_rate", 1.0)],
    rules=[positive("d_model"), positive("warmup_steps")],
)
def noam_decay(xp, s, d_model, warmup_steps, learning_rate):
    """Rise linearly, then decay with the inverse square root (Transformer).

        f(s) = learning_rate * d_model**-0.5
               * min(t**-0.5, t * warmup_steps**-1.5),   t = s + 1

    Paddle's counter for ``noam_decay`` starts at 1, so step ``s`` reads
    ``t = s + 1``. The peak is at ``s = warmup_steps - 1``, where both terms
    equal ``warmup_steps**-0.5``.

    Args:
      d_model: the model width, ``0 < d_model``. Any positive number works.
      warmup_steps: length of the rise, ``0 < warmup_steps``. Paddle raises on
        0 because ``0**-1.5`` is undefined.
      learning_rate: a factor on the whole curve.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.noam_decay(d_model, warmup_steps,
    learning_rate)``. Paddle 2.x ``NoamDecay`` differs: it starts its counter
    at 0, so its value at step 0 is 0.

    >>> import lrdsl
    >>> f = lrdsl.compile("noam_decay(1, 4)")
    >>> f(0), f(3), f(15)
    (0.125, 0.5, 0.25)
    """
    t = s + 1
    rising = t * warmup_steps**-1.5
    falling = xp.power(t, -0.5)
    return learning_rate * d_model**-0.5 * xp.minimum(falling, rising)


@schedule(
    family="paddle",
    params=_DECAY_PARAMS,
    rules=[
        positive("decay_steps"),
        Rule(
            "0 <= decay_rate (or staircase=true)",
            lambda p: p["decay_rate"] >= 0 or p["staircase"],
            "decay_rate",
        ),
    ],
)
def exponential_decay(xp, s, learning_rate, decay_steps, decay_rate, staircase):
    """Multiply by ``decay_rate`` every ``decay_steps`` steps.

        f(s) = learning_rate * decay_rate**x
        x = s / decay_steps          (staircase=false)
        x = floor(s / decay_steps)   (staircase=true)

    Args:
      learning_rate: the value at step 0.
      decay_steps: steps per factor of ``decay_rate``, ``0 < decay_steps``.
      decay_rate: the factor per ``decay_steps`` steps. It must be ``>= 0``
        unless ``staircase`` is true, because a negative number has no real
        power at fractional exponents.
      staircase: decay in whole steps of ``decay_steps``.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.exponential_decay``; Paddle 2.x
    ``ExponentialDecay(learning_rate, gamma)`` with
    ``gamma = decay_rate**(1 / decay_steps)`` when staircase is false.

    >>> import lrdsl
    >>> f = lrdsl.compile("exponential_decay(1.0, 2, 0.5, staircase=true)")
    >>> f(0), f(1), f(2), f(5)
    (1.0, 1.0, 0.5, 0.25)
    """
    x = _progress(xp, s, decay_steps, staircase)
    return learning_rate * xp.power(decay_rate, x)


@schedule(
    family="paddle",
    params=_DECAY_PARAMS,
    rules=[positive("decay_steps")],
)
def natural_exp_decay(xp, s, learning_rate, decay_steps, decay_rate, staircase):
    """Decay by ``exp(-decay_rate)`` every ``decay_steps`` steps.

        f(s) = learning_rate * exp(-decay_rate * x)
        x = s / decay_steps          (staircase=false)
        x = floor(s / decay_steps)   (staircase=true)

    Args:
      learning_rate: the value at step 0.
      decay_steps: steps per factor of ``exp(-decay_rate)``,
        ``0 < decay_steps``.
      decay_rate: the exponent per ``decay_steps`` steps. A negative rate
        makes the schedule grow, as in Paddle.
      staircase: decay in whole steps of ``decay_steps``.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.natural_exp_decay``; Paddle 2.x
    ``NaturalExpDecay(learning_rate, gamma)`` with
    ``gamma = decay_rate / decay_steps`` when staircase is false.

    >>> import lrdsl
    >>> f = lrdsl.compile("natural_exp_decay(1.0, 2, 0.5, staircase=true)")
    >>> f(0), f(1), round(f(2), 6), round(f(5), 6)
    (1.0, 1.0, 0.606531, 0.367879)
    """
    x = _progress(xp, s, decay_steps, staircase)
    return learning_rate * xp.exp(-decay_rate * x)


@schedule(
    family="paddle",
    params=_DECAY_PARAMS,
    rules=[positive("decay_steps")],
)
def inverse_time_decay(xp, s, learning_rate, decay_steps, decay_rate, staircase):
    """Divide by ``1 + decay_rate * x``, with ``x`` counted in ``decay_steps``.

        f(s) = learning_rate / (1 + decay_rate * x)
        x = s / decay_steps          (staircase=false)
        x = floor(s / decay_steps)   (staircase=true)

    Args:
      learning_rate: the value at step 0.
      decay_steps: steps per unit of ``x``, ``0 < decay_steps``.
      decay_rate: how fast the denominator grows. A negative rate divides
        by zero where ``decay_rate * x == -1`` (``inf``), as in Paddle.
      staircase: count ``x`` in whole steps of ``decay_steps``.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.inverse_time_decay``; Paddle 2.x
    ``InverseTimeDecay(learning_rate, gamma)`` with
    ``gamma = decay_rate / decay_steps`` when staircase is false.

    >>> import lrdsl
    >>> f = lrdsl.compile("inverse_time_decay(1.0, 2, 1.0)")
    >>> f(0), f(1), f(2), f(6)
    (1.0, 0.6666666666666666, 0.5, 0.25)
    """
    x = _progress(xp, s, decay_steps, staircase)
    return xp.divide(learning_rate, 1 + decay_rate * x)


@schedule(
    family="paddle",
    params=[
        real("learning_rate"),
        steps("decay_steps"),
        real("end_learning_rate", 0.0001),
        real("power", 1.0),
        boolean("cycle", False),
    ],
    rules=[
        positive("decay_steps"),
        Rule("0 <= power", lambda p: p["power"] >= 0, "power"),
    ],
)
def polynomial_decay(
    xp, s, learning_rate, decay_steps, end_learning_rate, power, cycle
):
    """Decay polynomially to ``end_learning_rate`` over ``decay_steps`` steps.

        cycle=false:  t = min(s, D)
                      f(s) = (lr - end) * (1 - t / D)**power + end
        cycle=true:   D' = D * max(1, ceil(s / D))
                      f(s) = (lr - end) * (1 - s / D')**power + end

    where ``lr`` is ``learning_rate``, ``end`` is ``end_learning_rate`` and
    ``D`` is ``decay_steps``. With ``cycle``, each period ends at ``end`` on a
    multiple of ``D`` and restarts from a lower height: at step ``k * D + 1``
    the value is ``(lr - end) * (1 - (k*D + 1) / ((k+1) * D))**power + end``.
    Paddle takes ``ceil(s / D)`` as 1 at step 0, so ``f(0) = lr``.

    Args:
      learning_rate: the value at step 0.
      decay_steps: length of the decay (of each period with ``cycle``),
        ``0 < decay_steps``.
      end_learning_rate: the value reached at ``decay_steps``.
      power: the exponent, ``0 <= power``. A negative power is rejected
        because ``0**power`` at the end of the decay is undefined.
      cycle: restart the decay at every multiple of ``decay_steps``.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.polynomial_decay``; Paddle 2.x
    ``PolynomialDecay``.

    >>> import lrdsl
    >>> f = lrdsl.compile("polynomial_decay(1.0, 4, end_learning_rate=0.0)")
    >>> f(0), f(2), f(4), f(9)
    (1.0, 0.5, 0.0, 0.0)
    >>> g = lrdsl.compile("polynomial_decay(1.0, 4, 0.0, cycle=true)")
    >>> g(0), g(4), g(6), g(8)
    (1.0, 0.0, 0.25, 0.0)
    """
    # 1 - s / D is computed as (D - s) / D, with the subtraction in exact
    # integers, so the value stays accurate just after a huge cycle start.
    if cycle:
        periods = xp.maximum((s + decay_steps - 1) // decay_steps, 1)
        length = decay_steps * periods
        remaining = (length - s) / length
    else:
        remaining = (decay_steps - xp.minimum(s, decay_steps)) / decay_steps
    end = end_learning_rate
    return (learning_rate - end) * xp.power(remaining, power) + end


# Paddle accepts these piecewise boundaries; the 2.x PiecewiseDecay shares them.
UNSORTED_BOUNDARIES = Advice(
    "boundaries are not sorted in increasing order; Paddle returns "
    "values[i] for the first i, in list order, with step < "
    "boundaries[i], and so does lrdsl",
    lambda p, context: any(a >= b for a, b in pairwise(p["boundaries"])),
    "boundaries",
)
BOUNDARY_AT_ZERO = Advice(
    "a boundary at step 0 means values[0] is never used",
    lambda p, context: bool(p["boundaries"]) and p["boundaries"][0] == 0,
    "boundaries",
)


@schedule(
    family="paddle",
    params=[steps_list("boundaries"), real_list("values")],
    rules=[
        Rule(
            "len(values) == len(boundaries) + 1",
            lambda p: len(p["values"]) == len(p["boundaries"]) + 1,
            "values",
        )
    ],
    advice=[UNSORTED_BOUNDARIES, BOUNDARY_AT_ZERO],
)
def piecewise_decay(xp, s, boundaries, values):
    """Hold the value of the first boundary, in list order, that ``s`` is below.

        f(s) = values[i]    for the first i with s < boundaries[i]
        f(s) = values[-1]   when s >= boundaries[i] for every i

    For increasing boundaries, ``values[i]`` holds on the half-open interval
    ``[boundaries[i - 1], boundaries[i])``. Paddle tests the boundaries in
    list order without sorting them, and so does this schedule. So a
    boundary at 0 means ``values[0]`` is never used, and a repeated boundary
    skips the value between the copies. A boundary smaller than an earlier
    one is never the first match: ``piecewise_decay([6, 3], [a, b, c])`` is
    ``a`` before step 6 and ``c`` from step 6.

    Args:
      boundaries: the steps where the value changes, in any order.
        An empty list gives the constant ``values[0]``.
      values: one more value than boundaries,
        ``len(values) == len(boundaries) + 1``.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.piecewise_decay(boundaries, values)``
    and Paddle 2.x ``PiecewiseDecay``. The native ``piecewise`` is the same
    for increasing boundaries and rejects any other.

    >>> import lrdsl
    >>> f = lrdsl.compile("piecewise_decay([3, 6], [1.0, 0.5, 0.25])")
    >>> f(0), f(2), f(3), f(6), f(100)
    (1.0, 1.0, 0.5, 0.25, 0.25)
    """
    # The first i with s < boundaries[i] is the first i with
    # s < max(boundaries[:i + 1]). Those running maxima never decrease, so a
    # sorted search finds it.
    running_max = _running_max(boundaries)
    index = xp.searchsorted(running_max, s, side="right")
    return xp.take(values, index)


@schedule(
    family="paddle",
    params=[real("learning_rate"), steps("step_each_epoch"), real("epochs")],
    rules=[positive("step_each_epoch"), positive("epochs")],
    advice=[
        Advice(
            "total_steps reaches past step_each_epoch * epochs, where Paddle's "
            "cosine_decay rises again instead of staying at 0",
            lambda p, context: (
                context.total_steps is not None
                and context.total_steps > p["step_each_epoch"] * p["epochs"]
            ),
            "epochs",
        )
    ],
)
def cosine_decay(xp, s, learning_rate, step_each_epoch, epochs):
    """Decay along a cosine, once per epoch, from ``learning_rate`` to 0.

        f(s) = learning_rate * 0.5 * (cos(e * pi / epochs) + 1),
        e = floor(s / step_each_epoch)

    The value changes once per epoch. It is not clamped after ``epochs``:
    past epoch ``epochs`` the cosine rises again to ``learning_rate`` at
    epoch ``2 * epochs``, and so on, as in Paddle. The angle ``e * pi /
    epochs`` is rounded to float32 at each operation, as Paddle computes it,
    so that values far past ``epochs`` still agree with Paddle's.

    Args:
      learning_rate: the value during epoch 0.
      step_each_epoch: steps per epoch, ``0 < step_each_epoch``.
      epochs: the epoch where the value reaches 0, ``0 < epochs``.

    Duration: infinite.

    Equivalent: Paddle ``fluid.layers.cosine_decay``. Paddle 2.x
    ``CosineAnnealingDecay`` is per step and has ``eta_min``.

    >>> import lrdsl
    >>> f = lrdsl.compile("cosine_decay(1.0, 2, 2)")
    >>> [round(f(s), 6) for s in (0, 1, 2, 4, 6, 8)]
    [1.0, 1.0, 0.5, 0.0, 0.5, 1.0]
    """
    # Paddle computes the angle in float32. Past ``epochs`` the angle grows,
    # and its rounding error (a few 1e-7 relative) would show in the value.
    epoch = xp.float32(s // step_each_epoch)
    angle = xp.float32(xp.float32(epoch * xp.float32(xp.pi)) / xp.float32(epochs))
    return learning_rate * 0.5 * (xp.cos(angle) + 1)


@schedule(
    family="paddle",
    params=[
        sched("learning_rate"),
        steps("warmup_steps"),
        real("start_lr"),
        real("end_lr"),
    ],
    advice=[
        Advice(
            "the warmup runs on the training step; Paddle's static graph ran "
            "it on noam_decay's counter, which starts at 1, so Paddle's "
            "values differ by one step",
            lambda p, context: (
                isinstance(p["learning_rate"], ev.Formula)
                and p["learning_rate"].spec.name == "noam_decay"
            ),
            "learning_rate",
        )
    ],
)
def linear_lr_warmup(xp, s, learning_rate, warmup_steps, start_lr, end_lr):
    """Ramp linearly from ``start_lr`` to ``end_lr``, then use ``learning_rate``.

        f(s) = start_lr + (end_lr - start_lr) * (s / warmup_steps)   s < W
        f(s) = learning_rate(s)                                      s >= W

    where ``W`` is ``warmup_steps``. ``learning_rate`` is a number or a
    schedule. A schedule is read at the same step as the warmup: the warmup
    replaces its first ``W`` values instead of delaying it, so its value at
    step ``W`` is ``learning_rate(W)``, not ``learning_rate(0)``. The ramp
    never reaches ``end_lr``: its last value, at ``W - 1``, is
    ``start_lr + (end_lr - start_lr) * (W - 1) / W``.

    Args:
      learning_rate: the schedule (or number) after the warmup.
      warmup_steps: length of the ramp. With 0 there is no ramp and the
        schedule is ``learning_rate``.
      start_lr: the value at step 0.
      end_lr: the value the ramp heads for at step ``warmup_steps``.

    Duration: infinite, whatever the duration of ``learning_rate``.

    Equivalent: Paddle ``fluid.layers.linear_lr_warmup``. Paddle 2.x
    ``LinearWarmup`` differs: it starts its inner schedule at step 0 after
    the warmup. Known deviation: in Paddle's static graph,
    ``linear_lr_warmup(noam_decay(...), ...)`` runs the warmup on noam's
    step counter, which starts at 1 (both read one shared counter), so Paddle
    shows at step ``k`` the ramp value that lrdsl gives at step ``k + 1``.
    lrdsl counts the warmup from 0 whatever ``learning_rate`` is.

    >>> import lrdsl
    >>> f = lrdsl.compile(
    ...     "linear_lr_warmup(piecewise_decay([3, 6], [0.5, 0.2, 0.1]), 2, 0.0, 1.0)"
    ... )
    >>> [f(s) for s in range(7)]
    [0.0, 0.5, 0.5, 0.2, 0.2, 0.2, 0.1]
    """
    if warmup_steps == 0:
        return _hold(xp, s, learning_rate)
    ramp = start_lr + (end_lr - start_lr) * (s / warmup_steps)
    return xp.where(s < warmup_steps, ramp, learning_rate)
