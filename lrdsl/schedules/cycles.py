"""Cyclic schedules: ``one_cycle``, ``cyclic`` and warm restarts (``repeat``).

``one_cycle`` and ``cyclic`` reproduce PyTorch's ``OneCycleLR`` and
``CyclicLR`` (``torch.optim.lr_scheduler``, read and tested with torch 2.13)
at ``last_epoch == s``.
``repeat`` replays a finite schedule, stretching period ``k`` by
``mult**k``. With ``mult > 1`` it reads its inner schedule at fractional
times, so the inner schedule must be one whose formula is defined between
whole steps (:data:`REAL_TIME_SCHEDULES`).
"""

from __future__ import annotations

import bisect
import dataclasses
import math

from .. import _evaluate as ev
from .._registry import (
    Advice,
    Rule,
    boolean,
    choice,
    count,
    nonnegative,
    positive,
    real,
    sched,
    schedule,
    steps,
)
from .._resolve import MAX_STEP
from ..errors import ArgumentError

# Registers the basic native schedules first, so the docs list them first.
from . import native  # noqa: F401

# Schedules whose formula is defined at any real time, so ``repeat`` may read
# them at the fractional times of a stretched period. ``exponential`` counts
# whole steps when ``staircase`` is set, and that case is checked apart.
REAL_TIME_SCHEDULES = frozenset(
    {
        "clip",
        "constant",
        "cosine",
        "cyclic",
        "exponential",
        "inverse_sqrt",
        "linear",
        "one_cycle",
        "polynomial",
        "warmup",
    }
)


# one_cycle


def _one_cycle_phases(total, pct_start, three_phase):
    """Return PyTorch's phase ends and the learning-rate level at each end.

    Levels are named ``initial``, ``max`` and ``min``, and the first phase
    starts at step 0.0 from ``initial``. The ends are floats, computed as PyTorch
    computes them, so that a phase switches at the same step.
    """
    first_end = float(pct_start * total) - 1
    if three_phase:
        ends = [first_end, float(2 * pct_start * total) - 2, total - 1]
        levels = ["max", "initial", "min"]
    else:
        ends = [first_end, total - 1]
        levels = ["max", "min"]
    return ends, levels


def _anneal(xp, start, end, fraction, anneal):
    if anneal == "cos":
        return end + (start - end) / 2.0 * (xp.cos(xp.pi * fraction) + 1)
    return (end - start) * fraction + start


@schedule(
    family="native",
    params=[
        real("max_lr"),
        steps("total"),
        real("pct_start", default=0.3),
        real("div_factor", default=25.0),
        real("final_div_factor", default=1e4),
        choice("anneal", ["cos", "linear"], default="cos"),
        boolean("three_phase", default=False),
    ],
    rules=[
        positive("total"),
        Rule(
            "0 <= pct_start <= 1",
            lambda p: 0 <= p["pct_start"] <= 1,
            "pct_start",
        ),
        positive("div_factor"),
        positive("final_div_factor"),
    ],
    duration=lambda p: p["total"],
)
def one_cycle(
    xp, s, max_lr, total, pct_start, div_factor, final_div_factor, anneal, three_phase
):
    """Warm up to ``max_lr``, then anneal far below the start: PyTorch's 1cycle.

        f(s) = A(level[i-1], level[i], (t - e[i-1]) / (e[i] - e[i-1]))
               for the first phase i with t <= e[i] (the last phase otherwise),
        t = min(s, total - 1),   e[0] = 0.0

        two phases:    e = [pct_start * total - 1, total - 1]
                       level = [initial, max_lr, min]
        three phases:  e = [pct_start * total - 1, 2 * pct_start * total - 2,
                            total - 1]
                       level = [initial, max_lr, initial, min]

        initial = max_lr / div_factor,   min = initial / final_div_factor
        A(a, b, p) = b + (a - b) / 2 * (cos(pi * p) + 1)   anneal="cos"
        A(a, b, p) = (b - a) * p + a                       anneal="linear"

    The phase ends are real numbers, computed in float64 as PyTorch does, so
    the peak falls on a step only when ``pct_start * total`` is whole.

    Args:
      max_lr: the peak, reached at step ``pct_start * total - 1``.
      total: the number of steps of the cycle, ``0 < total``. From step
        ``total - 1`` on the value is ``min``.
      pct_start: the fraction of ``total`` spent warming up,
        ``0 <= pct_start <= 1``. When ``pct_start * total < 1`` the warm-up
        ends before step 0, and the anneal starts part of the way down, as in
        PyTorch. When ``pct_start * total == 1`` the warm-up has zero length
        and ``f(0) = max_lr``. PyTorch divides 0 by 0 at that step.
      div_factor: ``initial = max_lr / div_factor``, ``0 < div_factor``.
      final_div_factor: ``min = initial / final_div_factor``,
        ``0 < final_div_factor``.
      anneal: ``"cos"`` or ``"linear"`` interpolation in every phase.
      three_phase: after the peak, come back down to ``initial`` symmetrically,
        then anneal to ``min`` in a third phase.

    Duration: ``total``.

    Equivalent: PyTorch ``OneCycleLR(max_lr=max_lr, total_steps=total,
    pct_start=pct_start, anneal_strategy=anneal, div_factor=div_factor,
    final_div_factor=final_div_factor, three_phase=three_phase)``, learning
    rate only, for ``s < total``. PyTorch also accepts ``last_epoch == total``
    and extrapolates the last phase past ``min`` there. This schedule holds
    ``min`` from step ``total - 1`` on.

    >>> import lrdsl
    >>> f = lrdsl.compile("one_cycle(1.0, 10, pct_start=0.5, div_factor=4.0)")
    >>> f(0), f(4), f(9), f(20)
    (0.25, 1.0, 2.5e-05, 2.5e-05)
    """
    levels = {
        "initial": max_lr / div_factor,
        "max": max_lr,
        "min": max_lr / div_factor / final_div_factor,
    }
    ends, end_levels = _one_cycle_phases(total, pct_start, three_phase)
    t = xp.minimum(s, total - 1)
    start, start_level = 0.0, "initial"
    phase_values = []
    for end, end_level in zip(ends, end_levels, strict=True):
        length = end - start
        # A phase of zero length covers only the step t == end, and only the
        # first phase can be picked there. It has arrived at its level then.
        fraction = (t - start) / length if length != 0 else t * 0 + 1.0
        phase_values.append(
            _anneal(xp, levels[start_level], levels[end_level], fraction, anneal)
        )
        start, start_level = end, end_level
    value = phase_values[-1]
    for end, phase_value in zip(ends[-2::-1], phase_values[-2::-1], strict=True):
        value = xp.where(t <= end, phase_value, value)
    return value


# cyclic


@schedule(
    family="native",
    params=[
        real("base_lr"),
        real("max_lr"),
        steps("step_size"),
        choice("mode", ["triangular", "triangular2", "exp_range"], "triangular"),
        real("gamma", default=1.0),
    ],
    rules=[positive("step_size"), nonnegative("gamma")],
    advice=[
        Advice(
            'gamma has no effect unless mode="exp_range"',
            lambda p, context: p["gamma"] != 1.0 and p["mode"] != "exp_range",
            "gamma",
        )
    ],
)
def cyclic(xp, s, base_lr, max_lr, step_size, mode, gamma):
    """Go up and down between ``base_lr`` and ``max_lr`` in triangles.

        f(s) = base_lr + (max_lr - base_lr) * h(s) * scale(s)
        h(s) = r / step_size                     for r <= step_size
        h(s) = (2 * step_size - r) / step_size   for r > step_size
        r = s mod (2 * step_size),   c = floor(s / (2 * step_size))

        scale(s) = 1          mode="triangular"
        scale(s) = 0.5**c     mode="triangular2"
        scale(s) = gamma**s   mode="exp_range"

    ``c`` counts whole cycles from 0 (PyTorch counts them from 1). The
    remainder and the cycle are integer arithmetic, exact up to ``2**62``.

    Args:
      base_lr: the value at the start of every cycle.
      max_lr: the value at the top of the first cycle, at step ``step_size``.
        It may be below ``base_lr``, which turns the triangles upside down.
      step_size: steps from the bottom of a cycle to its top, and again from
        the top to the next bottom, ``0 < step_size``. A cycle lasts
        ``2 * step_size`` steps.
      mode: ``"triangular"`` keeps the height, ``"triangular2"`` halves it
        every cycle, ``"exp_range"`` multiplies it by ``gamma`` every step.
      gamma: the factor per step in ``"exp_range"`` mode, ``0 <= gamma``.
        The other modes ignore it, and compiling warns when it is set.

    Duration: infinite.

    Equivalent: PyTorch ``CyclicLR(base_lr=base_lr, max_lr=max_lr,
    step_size_up=step_size, step_size_down=step_size, mode=mode,
    gamma=gamma)``, learning rate only. Its ``scale_fn`` argument has no
    counterpart.

    >>> import lrdsl
    >>> f = lrdsl.compile('cyclic(0.1, 0.5, 2, mode="triangular2")')
    >>> [round(f(s), 6) for s in range(9)]
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1]
    """
    # Every intermediate value lies between -step_size and s, so int64 does
    # not overflow even when 2 * step_size is past 2**62.
    cycle = (s // step_size) // 2
    position = s - cycle * step_size * 2
    past_top = xp.maximum(position - step_size, 0)
    height = xp.where(
        position <= step_size,
        position / step_size,
        (step_size - past_top) / step_size,
    )
    if mode == "triangular2":
        height = height * xp.power(0.5, cycle)
    elif mode == "exp_range":
        height = height * xp.power(gamma, s)
    return base_lr + (max_lr - base_lr) * height


# repeat


class Repeat(ev.Evaluator):
    """``repeat(x, times, mult)``: ``x`` replayed with stretched periods.

    Period ``k`` starts at ``starts[k]`` and lasts ``d * mult**k`` steps,
    where ``d`` is the duration of ``x``. Within it, ``x`` reads the time
    ``(s - starts[k]) / mult**k``. After the last period ``x`` reads ``d``.
    The step may be fractional when this node sits inside another ``repeat``.
    """

    def __init__(self, inner: ev.Evaluator, times, mult: int, span=None):
        self.inner = inner
        self.period = inner.duration
        self.times = times
        self.mult = mult
        self.span = span
        self.duration = _repeat_total(self.period, times, mult)
        # With mult = 1 (or no period at all) times stay whole steps.
        self.stretched = mult > 1 and times > 0
        if self.stretched:
            self.starts, self.scales = self._stretched_periods()
            self._arrays = None

    def _stretched_periods(self) -> tuple[list[int], list[float]]:
        """List the periods that start by step ``2**62``: starts, stretches.

        Later periods are never reached, because steps end at ``2**62``.
        """
        starts, scales = [], []
        start, stretch = 0, 1
        while start <= MAX_STEP and len(starts) < self.times:
            starts.append(start)
            # A stretch past the float range reads x at time 0, which is
            # within 2**-900 of the exact time for any step up to 2**62.
            scales.append(float(stretch) if stretch.bit_length() < 1000 else math.inf)
            start += self.period * stretch
            stretch *= self.mult
        return starts, scales

    def children(self):
        return (self.inner,)

    def vector(self, local, glob, ctx):
        # numpy is imported here, as in the core nodes, so that the scalar
        # path never loads it.
        import numpy as np

        if not self.stretched:
            index = local // self.period
            time = local - index * self.period
        else:
            if self._arrays is None:
                self._arrays = (
                    np.asarray(self.starts, dtype=np.int64),
                    np.asarray(self.scales, dtype=np.float64),
                )
            starts, scales = self._arrays
            flat = local.reshape(-1)
            index = np.searchsorted(starts, flat, side="right") - 1
            time = ((flat - starts[index]) / scales[index]).reshape(local.shape)
        if self.duration is not None:
            time = np.where(local >= self.duration, self.period, time)
        # Restarts reorder the times, so the inner node gets unsorted steps.
        inner_ctx = dataclasses.replace(ctx, sorted=False)
        return self.inner.vector(time, glob, inner_ctx)

    def jax(self, ops, local, glob, evaluate):
        """Evaluate with jax.numpy for ``lrdsl.integrations.jax``."""
        import jax.numpy as jnp

        if not self.stretched:
            time = local - (local // self.period) * self.period
        else:
            starts = jnp.asarray(self.starts)
            index = jnp.searchsorted(starts, local, side="right") - 1
            time = (local - starts[index]) / jnp.asarray(self.scales)[index]
        if self.duration is not None:
            time = jnp.where(local >= self.duration, self.period, time)
        return evaluate(self.inner, time, glob)

    def scalar(self, local, glob):
        if self.duration is not None and local >= self.duration:
            return self.inner.scalar(self.period, glob)
        if not self.stretched:
            time = local - (local // self.period) * self.period
        else:
            index = bisect.bisect_right(self.starts, local) - 1
            time = (local - self.starts[index]) / self.scales[index]
        return self.inner.scalar(time, glob)


def _repeat_total(period, times, mult):
    """Return the summed length of ``times`` periods, or ``None`` if endless.

    Returns ``MAX_STEP + 1`` as soon as the sum passes ``2**62``, so that a
    huge ``times`` or ``mult`` costs no more than 63 additions.
    """
    if not period or times == math.inf:
        return None
    if mult == 1:
        return min(period * times, MAX_STEP + 1)
    total, length = 0, period
    for _ in range(times):
        total += length
        if total > MAX_STEP:
            return MAX_STEP + 1
        length *= mult
    return total


def _reads_whole_steps(node: ev.Evaluator) -> ev.Evaluator | None:
    """Return a part of ``node`` that is defined only at whole steps, if any.

    ``global(...)`` reads the training step, which stays whole, so its inside
    is not searched. Node kinds not known here count as whole-step ones.
    """
    if isinstance(node, ev.Global):
        return None
    if isinstance(node, ev.Formula):
        name = node.spec.name
        if name not in REAL_TIME_SCHEDULES:
            return node
        if name == "exponential" and node.args["staircase"]:
            return node
    elif not isinstance(node, _STRUCTURAL_NODES):
        return node
    for child in node.children():
        found = _reads_whole_steps(child)
        if found is not None:
            return found
    return None


_STRUCTURAL_NODES = (
    ev.Const,
    ev.Sequence,
    ev.WithDuration,
    ev.Binary,
    ev.Negate,
    ev.Extremum,
    ev.LayerScaling,
    Repeat,
)


def _describe_node(node: ev.Evaluator) -> str:
    if isinstance(node, ev.Formula):
        if node.spec.name == "exponential":
            return "exponential(..., staircase=true)"
        return f"{node.spec.name}(...)"
    return "this schedule"


def _repeat_node(args, inner, duration, span):
    x = inner["x"]
    if x.duration is None:
        raise ArgumentError(
            "repeat: x has no end, so it has no period to repeat",
            span=x.span or span,
            hint="give it a duration: x for N",
        )
    if x.duration == 0:
        raise ArgumentError(
            "repeat: x lasts 0 steps; expected a duration d > 0",
            span=x.span or span,
        )
    mult = args["mult"]
    if mult > 1:
        culprit = _reads_whole_steps(x)
        if culprit is not None:
            raise ArgumentError(
                f"repeat: mult={mult} reads x at fractional steps, but "
                f"{_describe_node(culprit)} is defined only at whole steps",
                span=culprit.span or x.span or span,
                hint="use mult=1, or build x from "
                + ", ".join(sorted(REAL_TIME_SCHEDULES)),
            )
    return Repeat(x, args["times"], mult, span)


def _total_fits(p) -> bool:
    duration = p["x"].duration
    if not duration or p["times"] == math.inf:
        return True
    return _repeat_total(duration, p["times"], p["mult"]) <= MAX_STEP


@schedule(
    family="native",
    params=[sched("x"), count("times", default=math.inf), count("mult", default=1)],
    rules=[
        nonnegative("times"),
        Rule("1 <= mult", lambda p: p["mult"] >= 1, "mult"),
        Rule(
            "d * (1 + mult + ... + mult**(times - 1)) <= 2**62, d the duration of x",
            _total_fits,
            "times",
        ),
    ],
    duration=lambda p: _repeat_total(p["x"].duration, p["times"], p["mult"]),
    node=_repeat_node,
)
def repeat(xp, s, x, times, mult):
    """Replay ``x`` with warm restarts, each period ``mult`` times longer.

        f(s) = x(l / mult**k)   for S(k) <= s < S(k + 1) and k < times
        f(s) = x(d)             for s >= S(times), after the last period

        l = s - S(k),   S(k) = d * (1 + mult + ... + mult**(k - 1))

    where ``d`` is the duration of ``x``, period ``k`` (counted from 0) lasts
    ``d * mult**k`` steps from step ``S(k)``, and ``l`` is the step within
    it. Each period reads ``x`` from its start (time 0) to just before its
    end (time ``d``), stretched to the period's length. After the last period
    ``x`` reads its end, as a finite schedule holds its end value.

    With ``mult = 1``, ``x`` reads whole steps and may be any schedule. With
    ``mult > 1``, ``x`` reads fractional times, so every schedule in it must
    be defined between steps: ``warmup``, ``linear``, ``cosine``,
    ``polynomial``, ``exponential`` without ``staircase``, ``inverse_sqrt``,
    ``one_cycle``, ``cyclic``, ``constant``, ``clip``, numbers, arithmetic,
    ``min``, ``max``, ``>>``, ``for``, and anything inside ``global(...)``.
    Other schedules in ``x`` are a compile error.

    Args:
      x: the schedule to replay, with a finite duration ``d > 0`` (give an
        endless one a duration with ``for``).
      times: the number of periods, ``0 <= times``, and infinite when omitted.
        ``times = 0`` lasts 0 steps and reads ``x(d)``.
      mult: the growth factor of the period length, a whole number,
        ``1 <= mult``.

    Duration: ``d * (1 + mult + ... + mult**(times - 1))``, infinite when
    ``times`` is; it must not exceed ``2**62``.

    Equivalent: PyTorch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)``
    on a base rate ``init`` is ``repeat(cosine(init, T_0, end=eta_min),
    mult=T_mult)``.

    >>> import lrdsl
    >>> f = lrdsl.compile("repeat(linear(1.0, 0.0, 4), times=2, mult=2)")
    >>> [f(s) for s in range(13)]
    [1.0, 0.75, 0.5, 0.25, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0]
    """
    return x
