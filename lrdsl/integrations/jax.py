"""Run an lrdsl schedule as a JAX function that works under ``jax.jit``.

>>> import jax  # doctest: +SKIP
>>> from lrdsl.integrations.jax import to_jax  # doctest: +SKIP
>>> f = to_jax(lrdsl.compile("warmup(500, 0.1) >> cosine(0.1, 9500)"))
... # doctest: +SKIP
>>> jax.jit(f)(jnp.arange(10_000))  # doctest: +SKIP

The same formulas that serve numpy run against ``jax.numpy``. Where the
numpy evaluator picks ``>>`` segments by slicing, which needs concrete
shapes, this one evaluates every segment and selects with ``where``, so the
function traces once for any steps. The result can serve as an optax
schedule: ``optax.sgd(learning_rate=to_jax(schedule))``.

JAX computes in 32 bits unless ``jax_enable_x64`` is set. With 32 bits,
steps and step-valued arguments must stay below 2**31 and rates are
float32; enable 64 bits (``jax.config.update("jax_enable_x64", True)``) for
lrdsl's exact int64 steps and float64 rates.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import jax.numpy as jnp

from .. import _evaluate as ev
from .._schedule import Schedule
from ..errors import ArgumentError, LrdslError

__all__ = ["to_jax"]


def _float32(x):
    return jnp.asarray(x, dtype=jnp.float32).astype(_float_dtype())


def _float_dtype():
    return jnp.asarray(0.0).dtype


JAX_OPS = SimpleNamespace(
    name="jax",
    pi=math.pi,
    inf=math.inf,
    where=jnp.where,
    minimum=jnp.minimum,
    maximum=jnp.maximum,
    clip=jnp.clip,
    floor=jnp.floor,
    ceil=jnp.ceil,
    cos=jnp.cos,
    exp=jnp.exp,
    log=jnp.log,
    sqrt=jnp.sqrt,
    power=jnp.power,
    divide=jnp.divide,
    to_float=lambda x: jnp.asarray(x).astype(_float_dtype()),
    searchsorted=lambda boundaries, value, side="left": jnp.searchsorted(
        jnp.asarray(boundaries), value, side=side
    ),
    take=lambda values, index: jnp.asarray(values, dtype=_float_dtype())[index],
    float32=_float32,
)


def to_jax(schedule: Schedule):
    """Return ``f(step) -> rate`` computed with ``jax.numpy``, jit-friendly.

    ``step`` is an integer scalar or array (a traced value inside ``jit``);
    the result has its shape. Steps are not checked for validity here,
    because traced values have no concrete value to check.

    Raises:
      LrdslError: the schedule contains a node with no JAX form.
    """
    if not isinstance(schedule, Schedule):
        raise ArgumentError(
            f"expected an lrdsl.Schedule, got {type(schedule).__name__}",
            hint="compile the text first: lrdsl.compile(text)",
        )
    root = schedule._root
    _check_supported(root)

    def rate(step: Any):
        steps = jnp.asarray(step)
        values = _evaluate(root, steps, steps)
        return jnp.broadcast_to(jnp.asarray(values, dtype=_float_dtype()), steps.shape)

    return rate


_SUPPORTED = (
    ev.Const,
    ev.Formula,
    ev.Sequence,
    ev.Global,
    ev.WithDuration,
    ev.Binary,
    ev.Negate,
    ev.Extremum,
    ev.LayerScaling,
)


def _check_supported(node: ev.Evaluator) -> None:
    if not isinstance(node, _SUPPORTED) and not hasattr(node, "jax"):
        raise LrdslError(
            f"{type(node).__name__} nodes have no JAX form yet",
            span=node.span,
        )
    for child in node.children():
        _check_supported(child)


def _evaluate(node: ev.Evaluator, local, glob):
    """Evaluate ``node`` with jax.numpy; every segment is computed and masked."""
    if isinstance(node, ev.Const):
        return node.value
    if isinstance(node, ev.Formula):
        kwargs = dict(node.args)
        for name, child in node.inner.items():
            kwargs[name] = _evaluate(child, local, glob)
        return node.spec.formula(JAX_OPS, local, **kwargs)
    if isinstance(node, ev.Sequence):
        starts = jnp.asarray(node.starts)
        segment = jnp.searchsorted(starts, local, side="right") - 1
        result = _evaluate(node.parts[0], local, glob)
        for index in range(1, len(node.parts)):
            start = node.starts[index]
            value = _evaluate(node.parts[index], local - start, glob)
            result = jnp.where(segment == index, value, result)
        return result
    if isinstance(node, ev.Global):
        return _evaluate(node.inner, glob, glob)
    if isinstance(node, (ev.WithDuration, ev.LayerScaling)):
        # Layer-wise scaling needs norms; f(step) is the rate before scaling.
        return _evaluate(node.inner, local, glob)
    if isinstance(node, ev.Binary):
        left = _evaluate(node.left, local, glob)
        right = _evaluate(node.right, local, glob)
        operations = {"+": jnp.add, "-": jnp.subtract, "*": jnp.multiply}
        return operations.get(node.op, jnp.divide)(left, right)
    if isinstance(node, ev.Negate):
        return -_evaluate(node.inner, local, glob)
    if isinstance(node, ev.Extremum):
        combine = jnp.minimum if node.kind == "min" else jnp.maximum
        result = _evaluate(node.parts[0], local, glob)
        for part in node.parts[1:]:
            result = combine(result, _evaluate(part, local, glob))
        return result
    return node.jax(JAX_OPS, local, glob, _evaluate)
