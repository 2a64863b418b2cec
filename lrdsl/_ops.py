"""The math namespaces that schedule formulas are written against.

A formula receives ``xp`` and a step ``s`` and uses only the functions below,
plus ``+ - * / //`` and comparisons. With :data:`VECTOR`, ``s`` is an int64
array and the result an array. With :data:`SCALAR`, ``s`` is a Python int and
the result a float, computed with :mod:`math` and no numpy.
``float32(x)`` rounds to the nearest float32, for the few places where a
Paddle schedule must reproduce Paddle's float32 rounding. Both follow IEEE
754 where Python's own operators would raise: a zero divisor gives ``inf`` or
``nan``, an overflow ``inf``, and an invalid power or root ``nan``.

numpy is imported on first use of :data:`VECTOR`, so that compiling a
schedule and evaluating it at scalar steps never load it.
"""

from __future__ import annotations

import bisect
import math
import struct
from types import SimpleNamespace
from typing import Any


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


def _scalar_log(x: float) -> float:
    if x > 0:
        return math.log(x)
    if x == 0:
        return -math.inf
    return math.nan


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


class ArrayTuple(tuple):
    """A tuple argument that also keeps its numpy conversions.

    The evaluator wraps list arguments (boundaries, values) in this class so
    that the vector path converts them to an array once per compiled
    schedule instead of once per call. Formulas see a plain tuple.
    """

    def as_array(self, dtype: Any) -> Any:
        import numpy as np

        cache = self.__dict__.setdefault("arrays", {})
        key = np.dtype(dtype).str
        array = cache.get(key)
        if array is None:
            array = np.asarray(self, dtype=dtype)
            array.flags.writeable = False
            cache[key] = array
        return array

    def derived(self, name: str, compute: Any) -> ArrayTuple:
        """Return ``compute(self)`` as an ArrayTuple, computed once per name."""
        cache = self.__dict__.setdefault("derived_values", {})
        if name not in cache:
            cache[name] = ArrayTuple(compute(self))
        return cache[name]


def as_array(values: Any, dtype: Any) -> Any:
    """Convert a list argument to a numpy array, once for an ArrayTuple."""
    if isinstance(values, ArrayTuple):
        return values.as_array(dtype)

    import numpy as np

    return np.asarray(values, dtype=dtype)


def _build_vector() -> SimpleNamespace:
    import numpy as np

    def float32(x):
        return np.asarray(x, dtype=np.float32).astype(np.float64)

    def take(values, index):
        return np.take(as_array(values, np.float64), index)

    def searchsorted(boundaries, value, side="left"):
        return np.searchsorted(as_array(boundaries, np.int64), value, side=side)

    return SimpleNamespace(
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
        searchsorted=searchsorted,
        take=take,
        float32=float32,
    )


_vector: SimpleNamespace | None = None


def vector_namespace() -> SimpleNamespace:
    """Return :data:`VECTOR`, importing numpy on the first call."""
    global _vector
    if _vector is None:
        _vector = _build_vector()
    return _vector


def __getattr__(name: str) -> Any:
    # ``from lrdsl._ops import VECTOR`` keeps working; it imports numpy then.
    if name == "VECTOR":
        return vector_namespace()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    log=_scalar_log,
    sqrt=_scalar_sqrt,
    power=_scalar_power,
    divide=_scalar_divide,
    to_float=float,
    searchsorted=_scalar_searchsorted,
    take=lambda values, index: float(values[index]),
    float32=_scalar_float32,
)
