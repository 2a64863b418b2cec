"""lrdsl: a small language for learning-rate schedules.

>>> import lrdsl
>>> f = lrdsl.compile("warmup(500, 0.01) >> piecewise([1000], [0.1, 0.01])")
>>> f(1500)
0.01
"""

from ._api import compile
from ._schedule import Schedule
from .errors import (
    ArgumentError,
    ConfigError,
    LrdslError,
    LrdslSyntaxError,
    LrdslWarning,
    SemanticError,
    StepError,
    UnitError,
    UnknownNameError,
)
from .schedules.lars import lars_momentum_update

__version__ = "0.1.0"


def __getattr__(name: str):
    # Configs load yaml, so they are imported on first use, not with lrdsl.
    if name in ("Config", "load"):
        from . import _config

        return getattr(_config, name)
    raise AttributeError(f"module 'lrdsl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ArgumentError",
    "Config",
    "ConfigError",
    "LrdslError",
    "LrdslSyntaxError",
    "LrdslWarning",
    "Schedule",
    "SemanticError",
    "StepError",
    "UnitError",
    "UnknownNameError",
    "compile",
    "lars_momentum_update",
    "load",
]
