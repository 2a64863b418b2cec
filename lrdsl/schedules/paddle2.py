"""Paddle 2.x learning-rate classes: ``paddle.optimizer.lr``.

Names, parameter names, defaults and positional order are those of the
classes, without ``last_epoch`` and ``verbose``. The value at step ``s`` is
what ``scheduler()`` returns while ``scheduler.last_epoch == s``: the rate
that the ``s``-th optimizer update uses when ``scheduler.step()`` is called
after each update. Paddle computes these in Python floats (float64), so the
values agree to rounding.

Where Paddle computes a value from the previous one (``CosineAnnealingDecay``,
``LinearLR``, ``CosineAnnealingWarmRestarts``), lrdsl uses the closed form of
that recursion, so that ``f(s)`` is a pure function of ``s``. Arguments that
Paddle rejects in its constructor, or that make its first value undefined,
are compile errors.

``LinearLR`` and ``OneCycleLR`` last ``total_steps`` steps, and
``LinearWarmup`` lasts ``warmup_steps`` plus the duration of its inner
schedule. The other classes have infinite duration.
"""

from __future__ import annotations

import math
from itertools import pairwise

from .. import _evaluate as ev
from .._registry import (
    REGISTRY,
    Advice,
    Rule,
    boolean,
    choice,
    count,
    nonempty,
    nonnegative,
    positive,
    real,
    real_list,
    sched,
    schedule,
    steps,
    steps_list,
)
from .._resolve import MAX_STEP
from .paddle import (
    BOUNDARY_AT_ZERO,
    UNSORTED_BOUNDARIES,
    piecewise_decay,
    polynomial_decay,
)

FAMILY = "paddle2"


def _gamma_flips_sign() -> Advice:
    return Advice(
        "gamma < 0 flips the sign of the rate at every decay, as in Paddle",
        lambda p, context: p["gamma"] < 0,
        "gamma",
    )


@schedule(
    family=FAMILY,
    params=[real("d_model"), steps("warmup_steps"), real("learning_rate", 1.0)],
    rules=[
        positive("d_model"),
        positive("warmup_steps"),
        nonnegative("learning_rate"),
    ],
)
def NoamDecay(xp, s, d_model, warmup_steps, learning_rate):
    """Rise linearly from 0, then decay with the inverse square root.

        f(s) = learning_rate * d_model**-0.5
               * min(max(s, 1)**-0.5, s * warmup_steps**-1.5)

    The counter starts at 0, so ``f(0) = 0``: Paddle takes the first term as
    1 at step 0 and the second is 0. The peak is at ``s = warmup_steps``,
    where both terms equal ``warmup_steps**-0.5``.

    Args:
      d_model: the model width, ``0 < d_model``. Any positive number works.
      warmup_steps: length of the rise, ``0 < warmup_steps``. Paddle raises
        on 0 because ``0**-1.5`` is undefined.
      learning_rate: a factor on the whole curve, ``0 <= learning_rate``.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.NoamDecay``. The classic
    ``noam_decay`` counts from 1, so its value at step ``s`` is this one's
    at ``s + 1``. PyTorch has no built-in class for it (``LambdaLR`` with
    this formula).

    >>> import lrdsl
    >>> f = lrdsl.compile("NoamDecay(1, 4)")
    >>> f(0), f(2), f(4), f(16)
    (0.0, 0.25, 0.5, 0.25)
    """
    falling = xp.power(xp.maximum(s, 1), -0.5)
    rising = warmup_steps**-1.5 * s
    return learning_rate * d_model**-0.5 * xp.minimum(falling, rising)


@schedule(
    family=FAMILY,
    params=[real("learning_rate"), real("gamma")],
    rules=[
        nonnegative("learning_rate"),
        Rule("0 < gamma < 1", lambda p: 0 < p["gamma"] < 1, "gamma"),
    ],
)
def ExponentialDecay(xp, s, learning_rate, gamma):
    """Multiply by ``gamma`` at every step.

        f(s) = learning_rate * gamma**s

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      gamma: the factor per step, ``0 < gamma < 1`` (Paddle rejects any
        other value).

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.ExponentialDecay``; classic
    ``exponential_decay(learning_rate, 1, gamma)``; PyTorch
    ``ExponentialLR(gamma)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("ExponentialDecay(1.0, 0.5)")
    >>> f(0), f(1), f(3)
    (1.0, 0.5, 0.125)
    """
    return learning_rate * xp.power(gamma, s)


@schedule(
    family=FAMILY,
    params=[real("learning_rate"), real("gamma")],
    rules=[nonnegative("learning_rate"), positive("gamma")],
)
def NaturalExpDecay(xp, s, learning_rate, gamma):
    """Multiply by ``exp(-gamma)`` at every step.

        f(s) = learning_rate * exp(-gamma * s)

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      gamma: the exponent per step, ``0 < gamma``.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.NaturalExpDecay``; classic
    ``natural_exp_decay(learning_rate, 1, gamma)``; PyTorch
    ``ExponentialLR(gamma=exp(-gamma))``.

    >>> import lrdsl
    >>> f = lrdsl.compile("NaturalExpDecay(1.0, 0.5)")
    >>> f(0), round(f(2), 6), round(f(10), 6)
    (1.0, 0.367879, 0.006738)
    """
    return learning_rate * xp.exp(-1 * gamma * s)


@schedule(
    family=FAMILY,
    params=[real("learning_rate"), real("gamma")],
    rules=[nonnegative("learning_rate")],
    advice=[
        Advice(
            "gamma < 0 makes 1 + gamma * s reach 0 or go negative; the rate "
            "is then inf or negative, and Paddle raises ZeroDivisionError "
            "at a step where 1 + gamma * s == 0",
            lambda p, context: p["gamma"] < 0,
            "gamma",
        )
    ],
)
def InverseTimeDecay(xp, s, learning_rate, gamma):
    """Divide by ``1 + gamma * s``.

        f(s) = learning_rate / (1 + gamma * s)

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      gamma: how fast the denominator grows. Paddle accepts any value; a
        negative one divides by zero (``inf`` here) where
        ``gamma * s == -1`` and gives negative rates after it.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.InverseTimeDecay``; classic
    ``inverse_time_decay(learning_rate, 1, gamma)``. PyTorch has no built-in
    class for it.

    >>> import lrdsl
    >>> f = lrdsl.compile("InverseTimeDecay(1.0, 0.5)")
    >>> f(0), f(2), f(6)
    (1.0, 0.5, 0.25)
    """
    return xp.divide(learning_rate, 1 + gamma * s)


@schedule(
    family=FAMILY,
    params=[
        real("learning_rate"),
        steps("decay_steps"),
        real("end_lr", 0.0001),
        real("power", 1.0),
        boolean("cycle", False),
    ],
    rules=[
        nonnegative("learning_rate"),
        positive("decay_steps"),
        positive("power"),
    ],
)
def PolynomialDecay(xp, s, learning_rate, decay_steps, end_lr, power, cycle):
    """Decay polynomially to ``end_lr`` over ``decay_steps`` steps.

        cycle=false:  t = min(s, D)
                      f(s) = (lr - end_lr) * (1 - t / D)**power + end_lr
        cycle=true:   D' = D * max(1, ceil(s / D))
                      f(s) = (lr - end_lr) * (1 - s / D')**power + end_lr

    where ``lr`` is ``learning_rate`` and ``D`` is ``decay_steps``. With
    ``cycle``, each period ends at ``end_lr`` on a multiple of ``D`` and the
    next one restarts from a lower height, because ``D'`` grows. Paddle
    takes ``ceil(s / D)`` as 1 at step 0, so ``f(0) = lr``.

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      decay_steps: length of the decay (of each period with ``cycle``),
        ``0 < decay_steps``.
      end_lr: the value reached at ``decay_steps``.
      power: the exponent, ``0 < power`` (Paddle rejects 0, which the
        classic ``polynomial_decay`` accepts).
      cycle: restart the decay at every multiple of ``decay_steps``.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.PolynomialDecay``; classic
    ``polynomial_decay``, whose ``end_learning_rate`` is ``end_lr`` here;
    PyTorch ``PolynomialLR(total_iters=decay_steps, power=power)`` when
    ``end_lr`` is 0 and ``cycle`` is false.

    >>> import lrdsl
    >>> f = lrdsl.compile("PolynomialDecay(1.0, 4, end_lr=0.0)")
    >>> f(0), f(2), f(4), f(9)
    (1.0, 0.5, 0.0, 0.0)
    >>> g = lrdsl.compile("PolynomialDecay(1.0, 4, 0.0, cycle=true)")
    >>> g(0), g(4), g(6), g(8)
    (1.0, 0.0, 0.25, 0.0)
    """
    return polynomial_decay(xp, s, learning_rate, decay_steps, end_lr, power, cycle)


@schedule(
    family=FAMILY,
    params=[steps_list("boundaries"), real_list("values")],
    rules=[
        nonempty("boundaries"),
        Rule(
            "len(values) >= len(boundaries) + 1",
            lambda p: len(p["values"]) >= len(p["boundaries"]) + 1,
            "values",
        ),
    ],
    advice=[
        UNSORTED_BOUNDARIES,
        BOUNDARY_AT_ZERO,
        Advice(
            "values has more than len(boundaries) + 1 items; past the last "
            "boundary Paddle uses values[-1], so the items between "
            "values[len(boundaries)] and values[-1] are never used",
            lambda p, context: len(p["values"]) > len(p["boundaries"]) + 1,
            "values",
        ),
    ],
)
def PiecewiseDecay(xp, s, boundaries, values):
    """Hold the value of the first boundary, in list order, that ``s`` is below.

        f(s) = values[i]    for the first i with s < boundaries[i]
        f(s) = values[-1]   when s >= boundaries[i] for every i

    For increasing boundaries, ``values[i]`` holds on the half-open interval
    ``[boundaries[i - 1], boundaries[i])``. As in Paddle, the boundaries are
    tested in list order without sorting, so a boundary at 0 means
    ``values[0]`` is never used.

    Args:
      boundaries: the steps where the value changes, in any order, at least
        one (``len(boundaries) >= 1``; Paddle rejects an empty list).
      values: at least one more value than boundaries,
        ``len(values) >= len(boundaries) + 1``. Paddle accepts extra values
        and uses the last one after the last boundary.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.PiecewiseDecay``; classic
    ``piecewise_decay``, which needs exactly ``len(boundaries) + 1`` values.
    PyTorch ``MultiStepLR`` when each value is ``gamma`` times the one before.

    >>> import lrdsl
    >>> f = lrdsl.compile("PiecewiseDecay([3, 6], [1.0, 0.5, 0.25])")
    >>> f(0), f(2), f(3), f(6), f(100)
    (1.0, 1.0, 0.5, 0.25, 0.25)
    """
    used = (*values[: len(boundaries)], values[-1])
    return piecewise_decay(xp, s, boundaries, used)


@schedule(
    family=FAMILY,
    params=[real("learning_rate"), steps("T_max"), real("eta_min", 0)],
    rules=[nonnegative("learning_rate"), positive("T_max")],
)
def CosineAnnealingDecay(xp, s, learning_rate, T_max, eta_min):
    """Anneal along a cosine between ``learning_rate`` and ``eta_min``, forever.

        f(s) = eta_min + (learning_rate - eta_min) * (1 + cos(pi * s / T_max)) / 2

    The value reaches ``eta_min`` at ``s = T_max`` and, as in Paddle, is not
    clamped there: it rises back to ``learning_rate`` at ``2 * T_max``, and
    so on with period ``2 * T_max``. Paddle's ``step()`` computes each value
    from the previous one, by a recursion whose exact solution is this
    closed form (``step(epoch)`` uses the closed form itself). Float
    rounding makes the recursion drift, by about 1e-10 relative after 2e5
    steps (an estimate from replaying it in float64). The angle uses ``s``
    modulo ``2 * T_max``, which is exact, so late values stay accurate.

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      T_max: the half period, ``0 < T_max``.
      eta_min: the value at ``T_max``. It may be larger than
        ``learning_rate``; then the curve rises first.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.CosineAnnealingDecay``;
    PyTorch ``CosineAnnealingLR(T_max, eta_min)``. The classic
    ``cosine_decay`` steps once per epoch and has no ``eta_min``; the native
    ``cosine`` holds its end value after ``steps``.

    >>> import lrdsl
    >>> f = lrdsl.compile("CosineAnnealingDecay(1.0, 4, eta_min=0.1)")
    >>> f(0), round(f(2), 12), round(f(4), 12), f(8)
    (1.0, 0.55, 0.1, 1.0)
    """
    # Steps stop at 2**62, so a period beyond that is never completed, and
    # 2 * T_max itself would not fit in int64.
    phase = s if 2 * T_max > MAX_STEP else s % (2 * T_max)
    return eta_min + (learning_rate - eta_min) * (1 + xp.cos(xp.pi * phase / T_max)) / 2


class _Delayed(ev.Evaluator):
    """``inner`` on a clock that starts ``delay`` steps late (read at 0 before).

    ``LinearWarmup`` reads its inner schedule at ``s - warmup_steps``. The
    steps before ``delay`` read step 0, a value the warmup discards.
    """

    def __init__(self, inner: ev.Evaluator, delay: int):
        self.inner = inner
        self.delay = delay
        self.duration = inner.duration
        self.span = inner.span

    def children(self):
        return (self.inner,)

    def vector(self, local, glob, ctx):
        import numpy as np

        return self.inner.vector(np.maximum(local - self.delay, 0), glob, ctx)

    def scalar(self, local, glob):
        return self.inner.scalar(max(local - self.delay, 0), glob)

    def jax(self, ops, local, glob, evaluate):
        """Evaluate with jax.numpy for ``lrdsl.integrations.jax``."""
        return evaluate(self.inner, ops.maximum(local - self.delay, 0), glob)


def _linear_warmup_node(args, inner, duration, span):
    delayed = _Delayed(inner["learning_rate"], args["warmup_steps"])
    spec = REGISTRY["LinearWarmup"]
    return ev.Formula(spec, args, {"learning_rate": delayed}, duration, span)


def _linear_warmup_duration(p):
    inner = p["learning_rate"].duration
    return None if inner is None else p["warmup_steps"] + inner


@schedule(
    family=FAMILY,
    params=[
        sched("learning_rate"),
        steps("warmup_steps"),
        real("start_lr"),
        real("end_lr"),
    ],
    rules=[
        positive("warmup_steps"),
        nonnegative("start_lr"),
        Rule("start_lr < end_lr", lambda p: p["start_lr"] < p["end_lr"], "end_lr"),
    ],
    duration=_linear_warmup_duration,
    node=_linear_warmup_node,
)
def LinearWarmup(xp, s, learning_rate, warmup_steps, start_lr, end_lr):
    """Ramp linearly from ``start_lr``, then run ``learning_rate`` from its step 0.

        f(s) = (end_lr - start_lr) * s / W + start_lr   s < W
        f(s) = learning_rate(s - W)                      s >= W

    where ``W`` is ``warmup_steps``. ``learning_rate`` is a number or a
    schedule. A schedule starts on its own clock after the warmup, as in
    Paddle, which calls ``learning_rate.step(s - W)``: it is delayed by
    ``W`` steps, not overlaid. The ramp never reaches ``end_lr``: its last
    value, at ``W - 1``, is ``start_lr + (end_lr - start_lr) * (W - 1) / W``.
    The schedule inside still reads the training step in ``global(...)``.

    Args:
      learning_rate: the schedule (or number) after the warmup.
      warmup_steps: length of the ramp, ``0 < warmup_steps``.
      start_lr: the value at step 0, ``0 <= start_lr``.
      end_lr: the value the ramp heads for, ``start_lr < end_lr``.

    Duration: ``warmup_steps`` plus the duration of ``learning_rate``
    (infinite when ``learning_rate`` is, and for a number).

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.LinearWarmup``. The classic
    ``linear_lr_warmup`` reads its inner schedule at the same step instead.
    PyTorch ``SequentialLR([ramp, inner], milestones=[warmup_steps])``.

    >>> import lrdsl
    >>> f = lrdsl.compile(
    ...     "LinearWarmup(PiecewiseDecay([3, 6], [0.5, 0.2, 0.1]), 2, 0.0, 1.0)"
    ... )
    >>> [f(s) for s in range(10)]
    [0.0, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.1, 0.1]
    """
    ramp = (end_lr - start_lr) * s / warmup_steps + start_lr
    return xp.where(s < warmup_steps, ramp, learning_rate)


@schedule(
    family=FAMILY,
    params=[real("learning_rate"), steps("step_size"), real("gamma", 0.1)],
    rules=[
        nonnegative("learning_rate"),
        positive("step_size"),
        Rule("gamma < 1", lambda p: p["gamma"] < 1, "gamma"),
    ],
    advice=[_gamma_flips_sign()],
)
def StepDecay(xp, s, learning_rate, step_size, gamma):
    """Multiply by ``gamma`` every ``step_size`` steps.

        f(s) = learning_rate * gamma**floor(s / step_size)

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      step_size: steps between decays, ``0 < step_size``.
      gamma: the factor per decay, ``gamma < 1``. Paddle accepts 0 and
        negative factors; a negative one flips the sign at every decay.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.StepDecay``; classic
    ``exponential_decay(learning_rate, step_size, gamma, staircase=true)``;
    PyTorch ``StepLR(step_size, gamma)``; native ``step``.

    >>> import lrdsl
    >>> f = lrdsl.compile("StepDecay(1.0, 3, 0.5)")
    >>> f(0), f(2), f(3), f(9)
    (1.0, 1.0, 0.5, 0.125)
    """
    return learning_rate * xp.power(gamma, s // step_size)


@schedule(
    family=FAMILY,
    params=[real("learning_rate"), steps_list("milestones"), real("gamma", 0.1)],
    rules=[
        nonnegative("learning_rate"),
        Rule(
            "milestones[i] < milestones[i + 1]",
            lambda p: all(a < b for a, b in pairwise(p["milestones"])),
            "milestones",
        ),
        Rule("gamma < 1", lambda p: p["gamma"] < 1, "gamma"),
    ],
    advice=[_gamma_flips_sign()],
)
def MultiStepDecay(xp, s, learning_rate, milestones, gamma):
    """Multiply by ``gamma`` at each milestone.

        f(s) = learning_rate * gamma**n,   n = number of milestones <= s

    Args:
      learning_rate: the value at step 0, ``0 <= learning_rate``.
      milestones: the steps where the rate decays, strictly increasing
        (``milestones[i] < milestones[i + 1]``). An empty list gives the
        constant ``learning_rate``.
      gamma: the factor per milestone, ``gamma < 1``. Paddle accepts 0 and
        negative factors; a negative one flips the sign at every milestone.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.MultiStepDecay``; PyTorch
    ``MultiStepLR(milestones, gamma)``; native ``multistep``.

    >>> import lrdsl
    >>> f = lrdsl.compile("MultiStepDecay(1.0, [2, 5], 0.5)")
    >>> f(0), f(2), f(4), f(5), f(100)
    (1.0, 0.5, 0.5, 0.25, 0.25)
    """
    passed = xp.searchsorted(milestones, s, side="right")
    return learning_rate * xp.power(gamma, passed)


@schedule(
    family=FAMILY,
    params=[
        real("learning_rate"),
        steps("total_steps"),
        real("start_factor", 1.0 / 3),
        real("end_factor", 1.0),
    ],
    rules=[
        nonnegative("learning_rate"),
        positive("total_steps"),
        Rule(
            "0 < start_factor <= 1",
            lambda p: 0 < p["start_factor"] <= 1,
            "start_factor",
        ),
        Rule(
            "0 <= end_factor <= 1",
            lambda p: 0 <= p["end_factor"] <= 1,
            "end_factor",
        ),
    ],
    duration=lambda p: p["total_steps"],
)
def LinearLR(xp, s, learning_rate, total_steps, start_factor, end_factor):
    """Scale ``learning_rate`` by a factor going linearly from start to end.

        f(s) = learning_rate * (a + (b - a) * t / total_steps),
        t = min(s, total_steps)

    where ``a`` is ``start_factor`` and ``b`` is ``end_factor``. Paddle's
    ``step()`` multiplies the previous value by
    ``1 + (b - a) / (total_steps * a + (s - 1) * (b - a))``; those factors
    telescope to this closed form. From ``total_steps`` on the value stays at
    ``learning_rate * b``.

    Args:
      learning_rate: the base rate, ``0 <= learning_rate``.
      total_steps: length of the ramp, ``0 < total_steps``.
      start_factor: the factor at step 0, ``0 < start_factor <= 1``. The
        default is ``1 / 3``.
      end_factor: the factor from ``total_steps`` on,
        ``0 <= end_factor <= 1``.

    Duration: ``total_steps``. It holds its end value afterwards, like the
    native ``linear``, so ``LinearLR(...) >> x`` runs ``x`` after the ramp.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.LinearLR``; PyTorch
    ``LinearLR(start_factor, end_factor, total_iters=total_steps)``; native
    ``linear(a * learning_rate, b * learning_rate, total_steps)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("LinearLR(1.0, 4, start_factor=0.5)")
    >>> f(0), f(2), f(4), f(9)
    (0.5, 0.75, 1.0, 1.0)
    """
    t = xp.minimum(s, total_steps)
    return learning_rate * (
        start_factor + (end_factor - start_factor) * t / total_steps
    )


def _one_cycle_phases(
    max_learning_rate,
    total_steps,
    divide_factor,
    end_learning_rate,
    phase_pct,
    three_phase,
):
    """Return Paddle's phases as ``(start, last, from_rate, to_rate)`` tuples.

    ``start`` is a float, as in Paddle. A phase covers the integer steps up
    to ``last``; the last phase has ``last = None`` and covers the rest.
    """
    initial = max_learning_rate / divide_factor
    rise_end = phase_pct * total_steps - 1
    if three_phase:
        fall_end = 2 * phase_pct * total_steps - 2
        return [
            (0, math.floor(rise_end), initial, max_learning_rate),
            (rise_end, math.floor(fall_end), max_learning_rate, initial),
            (fall_end, None, initial, end_learning_rate),
        ]
    return [
        (0, math.floor(rise_end), initial, max_learning_rate),
        (rise_end, None, max_learning_rate, end_learning_rate),
    ]


@schedule(
    family=FAMILY,
    params=[
        real("max_learning_rate"),
        steps("total_steps"),
        real("divide_factor", 25.0),
        real("end_learning_rate", 0.0001),
        real("phase_pct", 0.3),
        choice("anneal_strategy", ("cos", "linear"), "cos"),
        boolean("three_phase", False),
    ],
    rules=[
        nonnegative("max_learning_rate"),
        positive("total_steps"),
        positive("divide_factor"),
        nonnegative("end_learning_rate"),
        Rule("0 <= phase_pct <= 1", lambda p: 0 <= p["phase_pct"] <= 1, "phase_pct"),
        Rule(
            "phase_pct < 0.5 (when three_phase=true)",
            lambda p: p["phase_pct"] < 0.5 or not p["three_phase"],
            "phase_pct",
        ),
        Rule(
            "phase_pct * total_steps != 1",
            lambda p: p["phase_pct"] * p["total_steps"] != 1,
            "phase_pct",
        ),
    ],
    duration=lambda p: p["total_steps"],
)
def OneCycleLR(
    xp,
    s,
    max_learning_rate,
    total_steps,
    divide_factor,
    end_learning_rate,
    phase_pct,
    anneal_strategy,
    three_phase,
):
    """Rise to ``max_learning_rate``, then anneal to ``end_learning_rate``.

        t = min(s, T - 1),   pct = (t - start) / (end - start)
        cos:    f(s) = b + (a - b) / 2 * (cos(pi * pct) + 1)
        linear: f(s) = (b - a) * pct + a

    where ``T`` is ``total_steps`` and each phase goes from rate ``a`` at
    step ``start`` to rate ``b`` at step ``end``. Two phases: from
    ``max_learning_rate / divide_factor`` at 0 to ``max_learning_rate`` at
    ``P = phase_pct * T - 1``, then to ``end_learning_rate`` at ``T - 1``.
    Three phases: the second goes back to the initial rate at ``2 * P``, and
    the third to ``end_learning_rate`` at ``T - 1``. Phase ends are floats,
    as in Paddle: step ``t`` is in the first phase whose end is ``>= t``.

    Paddle raises for ``s > T``, and its value at ``s = T`` lies past the
    end of the anneal (the cosine turns back up, the line goes below
    ``end_learning_rate``), but no update of a ``T``-step run uses it. From
    ``T - 1`` on, lrdsl keeps the value at ``T - 1``: ``end_learning_rate``,
    or ``max_learning_rate`` when ``phase_pct`` is 1 and nothing anneals.

    Args:
      max_learning_rate: the peak, ``0 <= max_learning_rate``.
      total_steps: the steps of the run, ``0 < total_steps``.
      divide_factor: the initial rate is ``max_learning_rate /
        divide_factor``, ``0 < divide_factor``.
      end_learning_rate: the final rate, ``0 <= end_learning_rate``. It is
        an absolute rate, unlike PyTorch's ``final_div_factor``.
      phase_pct: the fraction of ``total_steps`` spent rising,
        ``0 <= phase_pct <= 1`` (``< 0.5`` with ``three_phase``). Paddle
        divides by ``phase_pct * total_steps - 1``, so it must not be 1.
        With ``phase_pct * total_steps < 1`` there is no rise, and step 0 is
        already past the peak.
      anneal_strategy: ``"cos"`` or ``"linear"``.
      three_phase: go back down to the initial rate before the final anneal.

    Duration: ``total_steps``, like the native ``one_cycle``.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.OneCycleLR``; PyTorch
    ``OneCycleLR(max_lr, total_steps, pct_start=phase_pct,
    div_factor=divide_factor, final_div_factor=max_lr / (divide_factor *
    end_learning_rate))``, which has the same phase ends; native
    ``one_cycle``.

    >>> import lrdsl
    >>> f = lrdsl.compile("OneCycleLR(1.0, 10, 4.0, 0.0)")
    >>> [round(f(s), 6) for s in (0, 1, 2, 5, 9, 50)]
    [0.25, 0.625, 1.0, 0.61126, 0.0, 0.0]
    """
    phases = _one_cycle_phases(
        max_learning_rate,
        total_steps,
        divide_factor,
        end_learning_rate,
        phase_pct,
        three_phase,
    )
    t = xp.minimum(s, total_steps - 1)
    value = None
    for index in reversed(range(len(phases))):
        start, last, from_rate, to_rate = phases[index]
        stop = phases[index + 1][0] if index + 1 < len(phases) else total_steps - 1
        size = stop - start
        if size == 0:
            # Only the two-phase anneal with phase_pct == 1 is empty, and it
            # starts at T - 1, which the rise covers.
            continue
        pct = (t - start) / size
        if anneal_strategy == "cos":
            rate = to_rate + (from_rate - to_rate) / 2.0 * (xp.cos(xp.pi * pct) + 1)
        else:
            rate = (to_rate - from_rate) * pct + from_rate
        value = rate if value is None else xp.where(t <= last, rate, value)
    return value


@schedule(
    family=FAMILY,
    params=[
        real("base_learning_rate"),
        real("max_learning_rate"),
        steps("step_size_up"),
        steps("step_size_down", None),
        choice("mode", ("triangular", "triangular2", "exp_range"), "triangular"),
        real("exp_gamma", 1.0),
    ],
    rules=[
        nonnegative("base_learning_rate"),
        nonnegative("max_learning_rate"),
        positive("step_size_up"),
        Rule(
            "0 < step_size_down",
            lambda p: p["step_size_down"] is None or p["step_size_down"] > 0,
            "step_size_down",
        ),
        Rule(
            "step_size_up + step_size_down <= 2**62",
            lambda p: (
                p["step_size_up"] + (p["step_size_down"] or p["step_size_up"])
                <= MAX_STEP
            ),
            "step_size_up",
        ),
    ],
)
def CyclicLR(
    xp,
    s,
    base_learning_rate,
    max_learning_rate,
    step_size_up,
    step_size_down,
    mode,
    exp_gamma,
):
    """Cycle between ``base_learning_rate`` and ``max_learning_rate``.

        C = U + D,   k = floor(s / C),   r = s - k * C
        h(s) = r / U         r <= U
        h(s) = (C - r) / D   r > U
        f(s) = base + (max - base) * h(s) * scale(s)
        scale(s) = 1                 mode="triangular"
        scale(s) = 0.5**k            mode="triangular2"
        scale(s) = exp_gamma**s      mode="exp_range"

    where ``U`` is ``step_size_up``, ``D`` is ``step_size_down``, ``base``
    is ``base_learning_rate`` and ``max`` is ``max_learning_rate``. Each
    cycle of ``C`` steps starts at ``base``, peaks at step ``U`` of the
    cycle, and falls back for ``D`` steps. The position ``r`` is an exact
    integer, where Paddle computes ``1 + s / C - (k + 1)`` in floats; the
    values agree to rounding.

    Paddle's ``scale_fn`` and ``scale_mode`` take a Python function, which
    the DSL has no way to write, so they are left out. The three modes are
    Paddle's built-in scale functions, with their own ``scale_mode``.

    Args:
      base_learning_rate: the lower end, ``0 <= base_learning_rate``.
      max_learning_rate: the upper end, ``0 <= max_learning_rate``. Only
        ``"triangular"`` peaks at it, because the other modes scale the
        height.
      step_size_up: steps of the rise, ``0 < step_size_up``.
      step_size_down: steps of the fall, ``0 < step_size_down``. Omit it to
        use ``step_size_up``. The cycle, ``step_size_up + step_size_down``,
        must be at most ``2**62`` steps.
      mode: ``"triangular"``, ``"triangular2"`` (halve the height every
        cycle) or ``"exp_range"`` (scale by ``exp_gamma**s``).
      exp_gamma: the factor per step of ``"exp_range"``, ignored otherwise.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.CyclicLR``; PyTorch
    ``CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)``;
    native ``cyclic`` when ``step_size_down`` equals ``step_size_up``.

    >>> import lrdsl
    >>> f = lrdsl.compile('CyclicLR(0.0, 1.0, 2, 4, mode="triangular2")')
    >>> [f(s) for s in range(8)]
    [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.25]
    """
    up = step_size_up
    down = up if step_size_down is None else step_size_down
    period = up + down
    completed = s // period
    position = s - completed * period
    rising = position / up
    falling = (period - position) / down
    height = xp.where(position <= up, rising, falling)
    if mode == "triangular":
        scale = 1.0
    elif mode == "triangular2":
        scale = xp.power(0.5, completed)
    else:
        scale = xp.power(exp_gamma, s)
    return (
        base_learning_rate + (max_learning_rate - base_learning_rate) * height * scale
    )


def _restarts(T_0, T_mult):
    """Return the start step and length of each period up to ``2**62``."""
    starts, lengths = [0], [T_0]
    while starts[-1] + lengths[-1] <= MAX_STEP:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    return tuple(starts), tuple(lengths)


@schedule(
    family=FAMILY,
    params=[
        real("learning_rate"),
        steps("T_0"),
        count("T_mult", 1),
        real("eta_min", 0),
    ],
    rules=[
        nonnegative("learning_rate"),
        positive("T_0"),
        Rule("1 <= T_mult", lambda p: p["T_mult"] >= 1, "T_mult"),
    ],
)
def CosineAnnealingWarmRestarts(xp, s, learning_rate, T_0, T_mult, eta_min):
    """Anneal along half a cosine, restarting with periods ``T_0 * T_mult**k``.

        f(s) = eta_min + (learning_rate - eta_min) * (1 + cos(pi * c / T_i)) / 2

    where period ``k`` (from 0) lasts ``T_i = T_0 * T_mult**k`` steps and
    starts at ``T_0 * (1 + T_mult + ... + T_mult**(k-1))``, and ``c`` is the
    step within it. So restarts come at ``T_0``, ``T_0 + T_0 * T_mult``, and
    so on, and each period starts at ``learning_rate`` and stops one step
    short of ``eta_min``. This is what Paddle's ``step()`` counts. Its
    ``step(epoch)`` finds the period with a float logarithm, which can
    miss a restart by one step; lrdsl uses exact integers.

    Args:
      learning_rate: the value at the start of each period,
        ``0 <= learning_rate``.
      T_0: the first period, ``0 < T_0``.
      T_mult: the growth of each period over the one before, a whole
        number, ``1 <= T_mult``.
      eta_min: the value each period heads for.

    Duration: infinite.

    Equivalent: Paddle 2.x ``paddle.optimizer.lr.CosineAnnealingWarmRestarts``;
    PyTorch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)``; native
    ``repeat(cosine(learning_rate, T_0, eta_min), mult=T_mult)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("CosineAnnealingWarmRestarts(1.0, 2, T_mult=2)")
    >>> [round(f(s), 12) for s in range(8)]
    [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0, 0.961939766256]
    """
    if T_mult == 1:
        within = s % T_0
        length = T_0
    else:
        starts, lengths = _restarts(T_0, T_mult)
        period = xp.searchsorted(starts, s, side="right") - 1
        # NOTE: take() returns floats, so past 2**53 the step within the
        # period is rounded; the angle's relative error stays near 1e-16.
        within = s - xp.take(starts, period)
        length = xp.take(lengths, period)
    return (
        eta_min + (learning_rate - eta_min) * (1 + xp.cos(xp.pi * within / length)) / 2
    )
