"""Exceptions and warnings raised by rounds.

Every class subclasses a builtin so callers can catch them without importing rounds.
"""

from __future__ import annotations

__all__ = ["InputError", "RoundsError", "RoundsWarning", "SolverError"]


class RoundsError(Exception):
    """Base class of every error raised on purpose by rounds."""


class InputError(RoundsError, ValueError):
    """The problem, plan or matrix given to rounds is not usable.

    The message names the field and the offending value, one problem per line.
    """


class SolverError(RoundsError, RuntimeError):
    """The routing engine failed in a way that is not the input's fault."""


class RoundsWarning(UserWarning):
    """Something in the input is legal but probably not what the user meant."""
