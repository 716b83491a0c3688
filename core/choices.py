"""Parsing a user's word into one of an Enum's values, with the message users see."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def parse_choice(cls: type[E], value, what: str) -> E:
    """``cls(value)``, or ValueError "<what> 'x' is unknown; expected one of a, b"."""
    try:
        return cls(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is unknown; expected one of {', '.join(m.value for m in cls)}") from None
