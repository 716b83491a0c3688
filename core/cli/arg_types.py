"""Argument types shared by the subcommands (one place, so a subcommand module never imports the
command line's entry module back)."""

from __future__ import annotations

import argparse
import math
from typing import Callable


def finite_number(expected: str, *, above_zero: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number of 0 or more (above 0 with ``above_zero``); any
    other value (text, nan, inf, too small) exits 2 with "'x': expected <expected>"."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (above_zero and value == 0):
            raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
        return value

    return parse
