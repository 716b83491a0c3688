"""How a volume's array axes map onto the three orthogonal views: the one home of plane geometry
(the viewer, the lesion map, the summary PDF's key images and MIP). Qt-free.

Screen conventions (radiological, as in every clinical viewer):

* axial: screen right = patient left (+x LPS), screen down = posterior (+y);
* coronal: screen right = patient left (+x), screen down = inferior (-z);
* sagittal: screen right = posterior (+y), screen down = inferior (-z).

For any acquisition (axial, sagittal, coronal or oblique) the array axis
closest to each patient axis is chosen (one global permutation), and each
screen direction is flipped as needed. The orientation letters at the view
edges come from the true direction vectors of the shown array axes, so an
oblique series gets letters such as "LA" instead of a wrong pure "L".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

import numpy as np

from core.volume import Volume


class Plane(str, Enum):
    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"

    @property
    def title(self) -> str:
        return self.value.capitalize()


# LPS unit vectors
_X, _Y, _Z = np.eye(3)

#: plane -> (normal patient axis, screen-right direction, screen-down direction)
_SCREEN = {
    Plane.AXIAL: (2, _X, _Y),
    Plane.CORONAL: (1, _X, -_Z),
    Plane.SAGITTAL: (0, _Y, -_Z),
}

def screen_patient_axes(plane: Plane | str) -> tuple[int, int]:
    """(patient axis along screen-right, patient axis along screen-down) of ``plane``: 0 = x, 1 = y,
    2 = z (LPS); axial (0, 1), coronal (0, 2), sagittal (1, 2)."""
    _, right, down = _SCREEN[Plane(plane)]
    return int(np.argmax(np.abs(right))), int(np.argmax(np.abs(down)))


_LETTERS = (("R", "L"), ("A", "P"), ("I", "S"))  # (negative, positive) for x, y, z


def direction_letters(direction: np.ndarray, *, min_component: float = 0.25, max_letters: int = 3) -> str:
    """Letters naming an LPS direction, strongest component first.

    ``(1, 0, 0)`` -> "L"; ``(-0.87, -0.5, 0)`` -> "RA". Components smaller
    than ``min_component`` (of a unit vector) are left out.
    """
    d = np.asarray(direction, dtype=np.float64)
    norm = np.linalg.norm(d)
    if norm == 0:
        return ""
    d = d / norm
    order = np.argsort(-np.abs(d), kind="stable")
    letters = [
        _LETTERS[a][1 if d[a] > 0 else 0] for a in order if abs(d[a]) >= min_component
    ]
    return "".join(letters[:max_letters])


def axis_directions(volume: Volume) -> np.ndarray:
    """(3, 3): row ``a`` is the LPS unit direction of increasing array index ``a`` (z, y, x)."""
    step = np.asarray(volume.slice_step_mm, dtype=np.float64)
    norm = np.linalg.norm(step)
    dz = step / norm if norm > 0 else volume.normal
    return np.stack([dz, volume.col_dir, volume.row_dir])


def patient_axis_of_array_axes(volume: Volume) -> tuple[int, int, int]:
    """For array axes (z, y, x), the patient axis (0 = x, 1 = y, 2 = z) each is closest to.

    One permutation is chosen for all three axes (the one with the largest
    summed alignment), so two array axes never claim the same patient axis.
    """
    dirs = np.abs(axis_directions(volume))
    best = max(itertools.permutations(range(3)), key=lambda p: sum(dirs[a, p[a]] for a in range(3)))
    return tuple(int(p) for p in best)  # type: ignore[return-value]


@dataclass(frozen=True)
class PlaneLayout:
    """How one view shows a volume.

    The view's 2D image is ``voxels`` at ``slice_axis`` index ``k``, with image
    rows along ``v_axis`` and columns along ``h_axis``, reversed when the
    respective flip is set.
    """

    plane: Plane
    slice_axis: int
    h_axis: int
    v_axis: int
    h_flip: bool
    v_flip: bool
    n_h: int
    n_v: int
    n_slices: int
    pixel_w_mm: float
    pixel_h_mm: float
    left: str
    right: str
    top: str
    bottom: str

    @property
    def width_mm(self) -> float:
        return self.n_h * self.pixel_w_mm

    @property
    def height_mm(self) -> float:
        return self.n_v * self.pixel_h_mm

    def image_view(self, voxels: np.ndarray, k: int) -> np.ndarray:
        """The 2D view (no copy) of ``voxels`` at slice ``k``, in screen order."""
        return self.plane_to_screen(_take(voxels, self.slice_axis, k))

    def plane_to_screen(self, plane: np.ndarray) -> np.ndarray:
        """Reorder a plane given in array order of the remaining axes (as from
        :func:`core.resample.resample_plane`) into screen order."""
        remaining = [a for a in range(3) if a != self.slice_axis]
        if remaining.index(self.v_axis) != 0:
            plane = plane.T
        return _flip(plane, self.v_flip, self.h_flip)

    def screen_to_index(self, row: float, col: float, k: float) -> np.ndarray:
        """Fractional image (row, col) -> array index (z, y, x) at slice ``k``.

        ``row``/``col`` are in image pixels with pixel centres at integers.
        """
        idx = np.zeros(3)
        idx[self.slice_axis] = k
        idx[self.v_axis] = (self.n_v - 1 - row) if self.v_flip else row
        idx[self.h_axis] = (self.n_h - 1 - col) if self.h_flip else col
        return idx

    def index_to_screen(self, zyx) -> tuple[float, float]:
        """Array index (z, y, x) -> image (row, col), pixel centres at integers."""
        v = float(zyx[self.v_axis])
        h = float(zyx[self.h_axis])
        row = (self.n_v - 1 - v) if self.v_flip else v
        col = (self.n_h - 1 - h) if self.h_flip else h
        return row, col


def _take(voxels: np.ndarray, axis: int, k: int) -> np.ndarray:
    if axis == 0:
        return voxels[k]
    if axis == 1:
        return voxels[:, k, :]
    return voxels[:, :, k]


def _flip(plane: np.ndarray, v_flip: bool, h_flip: bool) -> np.ndarray:
    if v_flip:
        plane = plane[::-1, :]
    if h_flip:
        plane = plane[:, ::-1]
    return plane


def plane_layout(volume: Volume, plane: Plane | str) -> PlaneLayout:
    """The layout of ``plane`` (axial, coronal, sagittal) for ``volume``."""
    plane = Plane(plane)
    normal_axis, right, down = _SCREEN[plane]
    patient_of = patient_axis_of_array_axes(volume)
    array_of = {p: a for a, p in enumerate(patient_of)}
    dirs = axis_directions(volume)

    slice_axis = array_of[normal_axis]
    h_axis = array_of[int(np.argmax(np.abs(right)))]
    v_axis = array_of[int(np.argmax(np.abs(down)))]
    h_flip = bool(dirs[h_axis] @ right < 0)
    v_flip = bool(dirs[v_axis] @ down < 0)
    screen_right = -dirs[h_axis] if h_flip else dirs[h_axis]
    screen_down = -dirs[v_axis] if v_flip else dirs[v_axis]
    spacing = volume.spacing_mm  # (dz, dy, dx) = spacing of array axes 0, 1, 2
    shape = volume.shape
    return PlaneLayout(
        plane=plane,
        slice_axis=slice_axis,
        h_axis=h_axis,
        v_axis=v_axis,
        h_flip=h_flip,
        v_flip=v_flip,
        n_h=shape[h_axis],
        n_v=shape[v_axis],
        n_slices=shape[slice_axis],
        pixel_w_mm=float(spacing[h_axis]),
        pixel_h_mm=float(spacing[v_axis]),
        left=direction_letters(-screen_right),
        right=direction_letters(screen_right),
        top=direction_letters(-screen_down),
        bottom=direction_letters(screen_down),
    )
