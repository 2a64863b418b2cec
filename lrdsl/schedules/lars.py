"""Layer-wise scaling (LARS): ``lars`` and ``append_LARS``.

Both wrap a schedule and scale it per layer by a trust ratio computed from
the layer's parameter norm ``‖w‖`` and gradient norm ``‖g‖``. A schedule
that contains either one is layer-wise: ``f(step)`` is the global rate
before scaling, and ``f.local_lr(step, param_norm, grad_norm)`` is the
per-layer rate, broadcast over steps × layers.

:func:`lars_momentum_update` is a numpy reference of one step of Paddle's
``LarsMomentumOptimizer``, for checking an optimizer against lrdsl's rates.
numpy is imported inside the functions, so importing lrdsl does not load it.
"""

from __future__ import annotations

import math
import numbers

from .. import _evaluate as ev
from .._registry import Advice, Rule, real, sched, schedule
from ..errors import ArgumentError, show


def lars_ratio(param_norm, grad_norm, coeff, weight_decay, epsilon):
    """Return the ``lars`` trust ratio per layer, 1 where Paddle falls back.

    The ratio is ``coeff * ‖w‖ / (‖g‖ + weight_decay * ‖w‖ + epsilon)`` where
    ``weight_decay > 0``, ``‖w‖ > 0`` and ``‖g‖ > 0``, and 1 elsewhere. With
    ``epsilon >= 0`` the denominator is positive wherever the ratio is used,
    so finite norms never give NaN.
    """
    import numpy as np

    param_norm = np.asarray(param_norm, dtype=np.float64)
    grad_norm = np.asarray(grad_norm, dtype=np.float64)
    if weight_decay <= 0:
        return np.ones(np.broadcast_shapes(param_norm.shape, grad_norm.shape))
    scaled = (param_norm > 0) & (grad_norm > 0)
    denominator = grad_norm + weight_decay * param_norm + epsilon
    # Where the ratio falls back, divide by 1 so that no 0 / 0 is computed.
    ratio = coeff * param_norm / np.where(scaled, denominator, 1.0)
    return np.where(scaled, ratio, 1.0)


def _real_array(value, name: str):
    """Return ``value`` as a finite float64 array, or raise ArgumentError."""
    import numpy as np

    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        raise ArgumentError(f"{name} is a masked array with masked values")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"invalid {name} {show(value)}: expected numbers") from None
    if array.dtype.kind not in "iuf":
        raise ArgumentError(
            f"invalid {name}: expected real numbers, got dtype {array.dtype}"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ArgumentError(f"invalid {name}: it contains NaN or infinity")
    return array


def _norm(array) -> float:
    """Return the L2 norm of ``array``, scaled so huge values do not overflow."""
    import numpy as np

    largest = float(np.max(np.abs(array), initial=0.0))
    if largest == 0:
        return 0.0
    return largest * float(np.linalg.norm(array / largest))


def append_lars_ratio(param_norm, grad_norm, weight_decay):
    """Return the ``append_LARS`` ratio ``‖w‖ / (‖g‖ + weight_decay * ‖w‖)``.

    There is no guard, as in Paddle: both norms 0 give NaN, and ``‖g‖ = 0``
    with ``weight_decay = 0`` gives ``inf``.
    """
    import numpy as np

    param_norm = np.asarray(param_norm, dtype=np.float64)
    grad_norm = np.asarray(grad_norm, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return param_norm / (grad_norm + weight_decay * param_norm)


def _lars_node(args, inner, duration, span):
    coeff = args["coeff"]
    weight_decay = args["weight_decay"]
    epsilon = args["epsilon"]

    def ratio(param_norm, grad_norm):
        return lars_ratio(param_norm, grad_norm, coeff, weight_decay, epsilon)

    return ev.LayerScaling(inner["x"], ratio, span)


@schedule(
    family="lars",
    params=[
        sched("x"),
        real("coeff", 0.001),
        real("weight_decay", 0.0005),
        real("epsilon", 0.0),
    ],
    rules=[Rule("0 <= epsilon", lambda p: p["epsilon"] >= 0, "epsilon")],
    advice=[
        Advice(
            "coeff < 0 makes every scaled learning rate negative",
            lambda p, context: p["coeff"] < 0,
            "coeff",
        ),
        Advice(
            "weight_decay < 0 turns the scaling off: Paddle scales only when "
            "weight_decay > 0, and lrdsl follows it",
            lambda p, context: p["weight_decay"] < 0,
            "weight_decay",
        ),
    ],
    duration=lambda p: p["x"].duration,
    node=_lars_node,
)
def lars(xp, s, x, coeff, weight_decay, epsilon):
    """Scale ``x`` per layer by the trust ratio of Paddle's ``lars_momentum``.

        local(s) = x(s) * coeff * ‖w‖ / (‖g‖ + weight_decay * ‖w‖ + epsilon)
                   if weight_decay > 0 and ‖w‖ > 0 and ‖g‖ > 0
        local(s) = x(s)   otherwise (Paddle's fallback)

    where ``‖w‖`` and ``‖g‖`` are the L2 norms of one layer's parameters and
    of its gradient (after ``rescale_grad``). ``f(s)`` is ``x(s)``, the rate
    before scaling. ``f.local_lr(s, param_norm, grad_norm)`` is ``local(s)``
    for each layer, and it is never NaN for finite norms.

    Args:
      x: the global schedule (or number) to scale.
      coeff: the LARS coefficient (Paddle's ``lars_coeff``).
      weight_decay: Paddle's ``lars_weight_decay``. With ``weight_decay <= 0``
        every layer falls back to ``x(s)``.
      epsilon: added to the denominator, ``0 <= epsilon``.

    Duration: that of ``x``.

    Equivalent: the local learning rate of Paddle's ``LarsMomentumOptimizer``
    (``lars_momentum`` kernel) with ``learning_rate = x(s)``. The momentum
    update itself is ``lrdsl.schedules.lars.lars_momentum_update``.

    >>> import lrdsl
    >>> f = lrdsl.compile("lars(0.1, coeff=0.01, weight_decay=1.0)")
    >>> f(0)
    0.1
    >>> f.local_lr(0, [2.0, 0.0], [2.0, 1.0]).tolist()
    [0.0005, 0.1]
    """
    return x


def _append_lars_node(args, inner, duration, span):
    weight_decay = args["weight_decay"]

    def ratio(param_norm, grad_norm):
        return append_lars_ratio(param_norm, grad_norm, weight_decay)

    return ev.LayerScaling(inner["learning_rate"], ratio, span)


@schedule(
    family="lars",
    params=[sched("learning_rate"), real("weight_decay")],
    duration=lambda p: p["learning_rate"].duration,
    node=_append_lars_node,
)
def append_LARS(xp, s, learning_rate, weight_decay):
    """Scale ``learning_rate`` per layer by Paddle's older LARS formula.

        local(s) = learning_rate(s) * ‖w‖ / (‖g‖ + weight_decay * ‖w‖)

    where ``‖w‖`` and ``‖g‖`` are the L2 norms of one layer's parameters and
    of its gradient. There is no coefficient and no guard: a layer with both
    norms 0 gets NaN, and ``‖g‖ = 0`` with ``weight_decay = 0`` gets ``inf``,
    as in Paddle. ``f(s)`` is ``learning_rate(s)``, the rate before scaling.

    Args:
      learning_rate: the global schedule (or number) to scale.
      weight_decay: the weight of ``‖w‖`` in the denominator.

    Duration: that of ``learning_rate``.

    Equivalent: Paddle 1.x ``fluid.layers.append_LARS(params_grads,
    learning_rate, weight_decay)``. Paddle also multiplies by the parameter's
    own learning-rate factor (``ParamAttr(learning_rate=...)``). lrdsl has
    no per-parameter factor, so write it as a product instead:
    ``2.0 * append_LARS(x, weight_decay)`` applies a factor of 2 to every
    layer.

    >>> import lrdsl
    >>> f = lrdsl.compile("append_LARS(0.5, 1.0)")
    >>> f(0)
    0.5
    >>> f.local_lr(0, [3.0, 1.0], [1.0, 1.0]).tolist()
    [0.375, 0.25]
    """
    return learning_rate


def lars_momentum_update(
    param,
    grad,
    velocity,
    *,
    lr,
    momentum,
    coeff=0.001,
    weight_decay=0.0005,
    epsilon=0.0,
    rescale_grad=1.0,
):
    """Apply one step of Paddle's LARS momentum to one layer, in float64.

        g' = rescale_grad * g
        local = lr * ratio(‖w‖, ‖g'‖)                (the ``lars`` ratio)
        v = momentum * v + local * (g' + weight_decay * w)
        w = w - v

    Args:
      param: the layer's parameters ``w``, any shape.
      grad: its gradient ``g``, the same shape.
      velocity: the momentum buffer ``v`` (zeros at the first step).
      lr: the global rate at this step, for example ``f(step)``.
      momentum: Paddle's ``mu``.
      coeff, weight_decay, epsilon: as in :func:`lars`.
      rescale_grad: the factor Paddle applies to the gradient first.

    Returns:
      ``(param, velocity)``: the new parameters and velocity, as float64
      arrays. The local rate is ``lrdsl.compile("lars(...)").local_lr``.

    >>> import numpy as np
    >>> w, v = lars_momentum_update(
    ...     np.array([3.0, 4.0]), np.array([0.0, 1.0]), np.zeros(2),
    ...     lr=0.1, momentum=0.9, coeff=0.01, weight_decay=1.0)
    >>> np.round(w, 6).tolist()
    [2.9975, 3.995833]
    """

    param = _real_array(param, "param")
    grad = _real_array(grad, "grad")
    velocity = _real_array(velocity, "velocity")
    if not param.shape == grad.shape == velocity.shape:
        raise ArgumentError(
            f"param, grad and velocity must have one shape, got {param.shape}, "
            f"{grad.shape} and {velocity.shape}"
        )
    settings = {
        "lr": lr,
        "momentum": momentum,
        "coeff": coeff,
        "weight_decay": weight_decay,
        "epsilon": epsilon,
        "rescale_grad": rescale_grad,
    }
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ArgumentError(f"{name} must be a real number, got {show(value)}")
        if not math.isfinite(value):
            raise ArgumentError(f"{name}={show(value)} is invalid; expected finite")
    if epsilon < 0:
        raise ArgumentError(
            f"epsilon={show(epsilon)} is invalid; expected 0 <= epsilon"
        )
    grad = rescale_grad * grad
    ratio = lars_ratio(_norm(param), _norm(grad), coeff, weight_decay, epsilon)
    local = lr * float(ratio)
    velocity = momentum * velocity + local * (grad + weight_decay * param)
    return param - velocity, velocity
