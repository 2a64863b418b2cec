"""The schedule library: importing this package registers every schedule."""

from . import combinators, lars, native, paddle  # noqa: F401
