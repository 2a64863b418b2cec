"""The schedule library: importing this package registers every schedule."""

from . import combinators, cycles, lars, native, paddle, paddle2  # noqa: F401
