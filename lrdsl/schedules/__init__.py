"""The schedule library: importing this package registers every schedule."""

from . import combinators, native, paddle  # noqa: F401
