"""Parsing a user's word into one of an Enum's values, with the message users see."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def parse_choice(cls: type[E], value, what: str, *, lenient: bool = False,
                 error: type[Exception] = ValueError, unknown_first: bool = False) -> E:
    """``value`` as a member of ``cls`` (the member itself or its value).

    Parameters
    ----------
    what : str
        What the value is, as the message names it ("PET method", "site").
    lenient : bool
        Also accept a member's name, in any case, with blanks around it and
        ``_`` for a space ("Regional_Lymph_Node", " LUNG "); None is the empty value.
    error : type of Exception
        The exception raised for a value that is none of the choices (ValueError,
        or a domain error of core.errors).
    unknown_first : bool
        The message begins "unknown site 'x'" rather than "site 'x' is unknown"
        (the wording of messages that case files and rule files already quote).

    Raises
    ------
    error
        "<what> 'x' is unknown; expected one of a, b" (or "unknown <what> 'x'; ...").
    """
    try:
        return cls(value)
    except ValueError:
        pass
    if lenient:
        key = _key(value)
        for member in cls:
            if key in (_key(member.value), _key(member.name)):
                return member
    head = f"unknown {what} {value!r}" if unknown_first else f"{what} {value!r} is unknown"
    raise error(f"{head}; expected one of {choices_text(cls)}") from None


def choices_text(cls: type[Enum]) -> str:
    """The values of ``cls`` for a message: "left, right" (an empty value shows as "'' (none)")."""
    return ", ".join(str(m.value) if m.value != "" else "'' (none)" for m in cls)


def _key(value) -> str:
    value = getattr(value, "value", value)  # another Enum of the same words
    return "" if value is None else str(value).strip().lower().replace("_", " ")
