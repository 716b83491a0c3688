"""The colour of each lesion, the same everywhere it is drawn or exported.

One palette and one rule (by the lesion's id number) for the slice views, the
lesion table, the lesion map, the summary PDF (map markers, key-image contours)
and the RTSTRUCT export (3006,002A) ROI Display Color, so a planning system
shows each lesion in the colour OligoPlan showed it in.
"""

from __future__ import annotations

#: distinct colours (r, g, b; 0-255) that stay visible on grey CT and on a hot PET overlay
#: (no pure red/yellow, which the PET colour map uses; no cyan, the crosshair's)
PALETTE: tuple[tuple[int, int, int], ...] = (
    (60, 230, 60),     # green
    (255, 80, 255),    # magenta
    (255, 150, 30),    # orange
    (100, 150, 255),   # blue
    (190, 255, 70),    # lime
    (255, 130, 170),   # pink
    (170, 120, 255),   # violet
    (0, 210, 170),     # teal
    (240, 240, 120),   # pale yellow
    (255, 95, 80),     # coral
)


def lesion_colour(lesion_id: str) -> tuple[int, int, int]:
    """The (r, g, b) colour (0-255) of a lesion, fixed by the number in its id ("L3" -> the third
    colour), so it never changes between sessions, exports or the order lesions are listed in.
    An id without digits takes a colour from its characters."""
    digits = "".join(ch for ch in str(lesion_id) if ch.isdigit())
    number = int(digits) if digits else sum(map(ord, str(lesion_id)))
    return PALETTE[(number - 1) % len(PALETTE)]


def lesion_colour_hex(lesion_id: str) -> str:
    """The colour of :func:`lesion_colour` as "#rrggbb" (matplotlib, HTML)."""
    return "#{:02x}{:02x}{:02x}".format(*lesion_colour(lesion_id))
