"""Schedules built from other schedules: ``constant``, ``global``, ``clip``.

``min`` and ``max`` take any number of arguments, so the resolver handles
them itself (``lrdsl/_resolve.py``).
"""

from __future__ import annotations

from .. import _evaluate as ev
from .._registry import Advice, real, sched, schedule


@schedule(family="combinator", params=[real("value")])
def constant(xp, s, value):
    """Hold ``value`` at every step.

        f(s) = value

    A bare number where a schedule is expected means the same thing, so
    ``warmup(500, 0.1) >> 0.1`` equals ``warmup(500, 0.1) >> constant(0.1)``.

    Duration: infinite.

    Equivalent: PyTorch ``ConstantLR`` with ``factor=1``; optax
    ``constant_schedule(value)``.

    >>> import lrdsl
    >>> lrdsl.compile("constant(0.1)")(10**9)
    0.1
    """
    return value


def _global_node(args, inner, duration, span):
    return ev.Global(inner["x"], span)


@schedule(
    family="combinator",
    name="global",
    params=[sched("x")],
    duration=lambda p: p["x"].duration,
    node=_global_node,
)
def global_(xp, s, x):
    """Read ``x`` at the training step instead of its segment's own step.

        global(x)(s) = x(g)

    where ``g`` is the step counted from the start of training. Inside
    ``a >> b``, ``b`` reads ``s - d(a)``; ``global(b)`` reads ``g``, as the
    milestones of Paddle and PyTorch schedulers do.

    Duration: that of ``x``.

    >>> import lrdsl
    >>> f = lrdsl.compile("warmup(2, 1.0) >> global(piecewise([3], [1.0, 0.5]))")
    >>> [f(s) for s in range(5)]
    [0.0, 0.5, 1.0, 0.5, 0.5]
    """
    return x


def _clip_duration(p):
    return ev.min_duration([p["x"], p["lo"], p["hi"]])


@schedule(
    family="combinator",
    params=[sched("x"), sched("lo"), sched("hi")],
    advice=[
        Advice(
            "lo > hi, so the result is hi at every step",
            lambda p, context: (
                isinstance(p["lo"], ev.Const)
                and isinstance(p["hi"], ev.Const)
                and p["lo"].value > p["hi"].value
            ),
            "lo",
        )
    ],
    duration=_clip_duration,
)
def clip(xp, s, x, lo, hi):
    """Clamp ``x`` pointwise to ``[lo, hi]``; each may be a schedule.

        f(s) = min(max(x(s), lo(s)), hi(s))

    Where ``lo > hi`` at a step the result is ``hi``, as with ``numpy.clip``.

    Duration: the shortest finite duration of the three, else infinite.

    >>> import lrdsl
    >>> f = lrdsl.compile("clip(warmup(10, 1.0), 0.2, 0.8)")
    >>> f(0), f(5), f(10)
    (0.2, 0.5, 0.8)
    """
    return xp.minimum(xp.maximum(x, lo), hi)
