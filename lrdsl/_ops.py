"""The math namespaces that schedule formulas are written against.

A formula receives ``xp`` and a step ``s`` and uses only the functions below,
plus ``+ - * / //`` and comparisons. With :data:`VECTOR`, ``s`` is an int64
array and the result an array; with :data:`SCALAR`, ``s`` is a Python int and
the result a float, computed with :mod:`math` and no numpy.
``float32(x)`` rounds to the nearest float32, for the few places where a
Paddle schedule must reproduce Paddle's float32 rounding. Both follow IEEE
754 where Python's own operators would raise: a zero divisor gives ``inf`` or
``nan``, an overflow ``inf``, and an invalid power or root ``nan``.
"""

from __future__ import annotations

import bisect
import math
import struct
from types import SimpleNamespace

import numpy as np


def _scalar_divide(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _scalar_power(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        if base == 0 and exponent < 0:
            return math.inf
        return math.nan


def _scalar_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _scalar_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan


def _scalar_where(condition, if_true, if_false):
    return if_true if condition else if_false


def _scalar_searchsorted(boundaries, value, side="left"):
    if side == "right":
        return bisect.bisect_right(boundaries, value)
    return bisect.bisect_left(boundaries, value)


def _scalar_float32(x: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _vector_float32(x):
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _vector_take(values, index):
    return np.asarray(values, dtype=np.float64)[index]


def _vector_searchsorted(boundaries, value, side="left"):
    return np.searchsorted(np.asarray(boundaries, dtype=np.int64), value, side=side)


VECTOR = SimpleNamespace(
    name="numpy",
    pi=math.pi,
    inf=math.inf,
    where=np.where,
    minimum=np.minimum,
    maximum=np.maximum,
    clip=np.clip,
    floor=np.floor,
    ceil=np.ceil,
    cos=np.cos,
    exp=np.exp,
    log=np.log,
    sqrt=np.sqrt,
    power=np.power,
    divide=np.divide,
    to_float=lambda x: np.asarray(x, dtype=np.float64),
    searchsorted=_vector_searchsorted,
    take=_vector_take,
    float32=_vector_float32,
)

SCALAR = SimpleNamespace(
    name="scalar",
    pi=math.pi,
    inf=math.inf,
    where=_scalar_where,
    minimum=min,
    maximum=max,
    clip=lambda x, lo, hi: min(max(x, lo), hi),
    floor=math.floor,
    ceil=math.ceil,
    cos=math.cos,
    exp=_scalar_exp,
    log=lambda x: math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan),
    sqrt=_scalar_sqrt,
    power=_scalar_power,
    divide=_scalar_divide,
    to_float=float,
    searchsorted=_scalar_searchsorted,
    take=lambda values, index: float(values[index]),
    float32=_scalar_float32,
)
