"""Moved to :mod:`core.orientation` (plane geometry is Qt-free and the PDF and lesion map use it too).

Kept only so that code written against the old place still imports; import from core.orientation.
"""

from core.orientation import (  # noqa: F401
    Plane,
    PlaneLayout,
    axis_directions,
    direction_letters,
    patient_axis_of_array_axes,
    plane_layout,
)
