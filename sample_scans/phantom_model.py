"""Analytic torso phantom for the bundled sample cases (pure numpy/scipy).

The anatomy is a set of analytic shapes (ellipses, ellipsoids, capsules)
evaluated at arbitrary voxel centres, so the CT grid and the coarser PET
grid sample the *same* patient. Coordinates are DICOM patient coordinates
(LPS, mm): +x towards the patient's left, +y posterior, +z superior. Arrays
are indexed ``(z, y, x)`` = (slice, row, column), as everywhere in OligoPlan.

Used by ``generate.py``; nothing here knows about DICOM.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import ndimage


class Tissue(IntEnum):
    """Label of one tissue class in the label map."""

    AIR = 0
    SUBCUT_FAT = 1
    MUSCLE = 2
    VISCERAL_FAT = 3
    LUNG_R = 4
    LUNG_L = 5
    HEART = 6
    AORTA = 7
    AIRWAY_WALL = 8
    AIRWAY_LUMEN = 9
    LIVER = 10
    SPLEEN = 11
    KIDNEY = 12
    STOMACH_FLUID = 13
    STOMACH_GAS = 14
    BOWEL = 15
    MEDIASTINAL_FAT = 16
    RIB = 17
    STERNUM = 18
    BONE_CORTEX = 19
    BONE_CANCELLOUS = 20
    DISC = 21
    CSF = 22
    SPINAL_CORD = 23


#: Mean CT number of each tissue (HU).
TISSUE_HU = {
    Tissue.AIR: -1000, Tissue.SUBCUT_FAT: -100, Tissue.MUSCLE: 40,
    Tissue.VISCERAL_FAT: -95, Tissue.LUNG_R: -850, Tissue.LUNG_L: -850,
    Tissue.HEART: 40, Tissue.AORTA: 42, Tissue.AIRWAY_WALL: 40,
    Tissue.AIRWAY_LUMEN: -950, Tissue.LIVER: 60, Tissue.SPLEEN: 48,
    Tissue.KIDNEY: 32, Tissue.STOMACH_FLUID: 12, Tissue.STOMACH_GAS: -1000,
    Tissue.BOWEL: 30, Tissue.MEDIASTINAL_FAT: -90, Tissue.RIB: 600,
    Tissue.STERNUM: 420, Tissue.BONE_CORTEX: 700, Tissue.BONE_CANCELLOUS: 300,
    Tissue.DISC: 80, Tissue.CSF: 10, Tissue.SPINAL_CORD: 35,
}

#: Mean FDG uptake of each tissue (SUVbw, g/ml) about 60 min after injection.
TISSUE_SUV = {
    Tissue.AIR: 0.0, Tissue.SUBCUT_FAT: 0.35, Tissue.MUSCLE: 0.8,
    Tissue.VISCERAL_FAT: 0.4, Tissue.LUNG_R: 0.35, Tissue.LUNG_L: 0.35,
    Tissue.HEART: 3.0, Tissue.AORTA: 1.8, Tissue.AIRWAY_WALL: 0.8,
    Tissue.AIRWAY_LUMEN: 0.0, Tissue.LIVER: 2.5, Tissue.SPLEEN: 2.0,
    Tissue.KIDNEY: 3.0, Tissue.STOMACH_FLUID: 1.2, Tissue.STOMACH_GAS: 0.0,
    Tissue.BOWEL: 1.5, Tissue.MEDIASTINAL_FAT: 0.4, Tissue.RIB: 0.7,
    Tissue.STERNUM: 1.0, Tissue.BONE_CORTEX: 0.6, Tissue.BONE_CANCELLOUS: 1.4,
    Tissue.DISC: 0.5, Tissue.CSF: 0.4, Tissue.SPINAL_CORD: 1.0,
}

# Body outline and wall (mm).
BODY_A_MM, BODY_B_MM = 175.0, 120.0
FAT_MM = 12.0
# Vertebral column: body centre (x, y), radius; canal centre (x, y), radius.
VB_CENTRE_MM, VB_RADIUS_MM, VB_CORTEX_MM = (0.0, 55.0), 20.0, 2.5
CANAL_CENTRE_MM, CANAL_RADIUS_MM = (0.0, 88.0), 9.0
VERTEBRA_PITCH_MM, DISC_HALF_MM, ENDPLATE_MM = 30.0, 3.0, 2.0
CARINA_Z_MM = 62.0
#: The proximal bronchial tree includes the distal trachea up to this height (mm).
PBT_TOP_Z_MM = CARINA_Z_MM + 20.0
#: Fat pad above the left kidney, where an adrenal metastasis can sit (mm).
ADRENAL_FAT_CENTRE_MM, ADRENAL_FAT_SEMI_MM = (50.0, 52.0, -66.0), (24.0, 24.0, 24.0)

# Airway segments: (start xyz mm, end xyz mm, lumen radius mm, wall mm).
_AIRWAYS = (
    ((0.0, 12.0, 160.0), (0.0, 12.0, CARINA_Z_MM), 8.5, 2.0),  # trachea
    ((0.0, 12.0, CARINA_Z_MM), (-38.0, 16.0, 46.0), 6.5, 1.8),  # right main
    ((0.0, 12.0, CARINA_Z_MM), (42.0, 18.0, 40.0), 5.5, 1.8),  # left main
    ((-38.0, 16.0, 46.0), (-62.0, 10.0, 58.0), 4.0, 1.5),  # right upper lobe
    ((-38.0, 16.0, 46.0), (-46.0, 20.0, 28.0), 5.0, 1.5),  # intermedius
    ((-46.0, 20.0, 28.0), (-58.0, -6.0, 20.0), 3.5, 1.5),  # right middle lobe
    ((-46.0, 20.0, 28.0), (-60.0, 30.0, 8.0), 4.0, 1.5),  # right lower lobe
    ((42.0, 18.0, 40.0), (62.0, 8.0, 52.0), 4.0, 1.5),  # left upper lobe
    ((42.0, 18.0, 40.0), (56.0, 28.0, 15.0), 4.5, 1.5),  # left lower lobe
)


@dataclass(frozen=True)
class Grid:
    """Axial voxel grid with identity orientation (rows along +y, columns along +x).

    ``x0_mm``, ``y0_mm`` are the centre of the first column/row; ``z_mm`` the
    centre of every slice, ascending.
    """

    nx: int
    ny: int
    spacing_mm: float
    x0_mm: float
    y0_mm: float
    z_mm: tuple[float, ...]

    @property
    def x_mm(self) -> np.ndarray:
        return self.x0_mm + self.spacing_mm * np.arange(self.nx)

    @property
    def y_mm(self) -> np.ndarray:
        return self.y0_mm + self.spacing_mm * np.arange(self.ny)

    @property
    def slice_step_mm(self) -> float:
        return float(self.z_mm[1] - self.z_mm[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.z_mm), self.ny, self.nx)

    @classmethod
    def centred(cls, n: int, spacing_mm: float, z_first_mm: float, z_step_mm: float, nz: int) -> "Grid":
        """Square grid of ``n`` x ``n`` pixels centred on x = y = 0."""
        first = -0.5 * n * spacing_mm + 0.5 * spacing_mm
        z = tuple(float(z_first_mm + z_step_mm * k) for k in range(nz))
        return cls(n, n, float(spacing_mm), first, first, z)


@dataclass(frozen=True)
class Lesion:
    """One spherical metastasis: ground truth of a sample case.

    ``host`` is the tissue the whole sphere must lie in; ``hu`` and ``suv``
    the lesion's CT number (HU) and nominal FDG uptake (SUVbw).
    """

    lesion_id: str
    centre_mm: tuple[float, float, float]
    diameter_mm: float
    organ: str
    laterality: str | None
    host: Tissue
    hu: float
    suv: float

    @property
    def radius_mm(self) -> float:
        return 0.5 * self.diameter_mm

    @property
    def volume_cc(self) -> float:
        return 4.0 / 3.0 * np.pi * self.radius_mm**3 / 1000.0


def _ellipse(X, Y, cx, cy, a, b):
    return ((X - cx) / a) ** 2 + ((Y - cy) / b) ** 2


def _ellipsoid(X, Y, Z, c, semi):
    return _ellipse(X, Y, c[0], c[1], semi[0], semi[1]) + ((Z - c[2]) / semi[2]) ** 2 < 1.0


def diaphragm_z_mm(X, Y):
    """Height of the diaphragm surface (mm): two domes, lower at the back."""
    domes = 10.0 * np.exp(-(((X + 75.0) / 45.0) ** 2)) + 4.0 * np.exp(-(((X - 75.0) / 45.0) ** 2))
    return -30.0 + domes - 25.0 * ((X / 150.0) ** 2 + ((Y - 5.0) / 95.0) ** 2)


def _capsule_d2(X, Y, Z, p0, p1):
    """Squared distance (mm^2) of each point from the segment p0-p1."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    t = ((X - p0[0]) * d[0] + (Y - p0[1]) * d[1] + (Z - p0[2]) * d[2]) / float(d @ d)
    t = np.clip(t, 0.0, 1.0)
    return (X - p0[0] - t * d[0]) ** 2 + (Y - p0[1] - t * d[1]) ** 2 + (Z - p0[2] - t * d[2]) ** 2


def airway_masks(X, Y, Z):
    """(outer, lumen) masks of the trachea and bronchi down to the lobar bronchi."""
    outer = np.zeros(np.broadcast_shapes(X.shape, Y.shape, Z.shape), bool)
    lumen = np.zeros_like(outer)
    for p0, p1, r_lumen, wall in _AIRWAYS:
        d2 = _capsule_d2(X, Y, Z, p0, p1)
        outer |= d2 < (r_lumen + wall) ** 2
        lumen |= d2 < r_lumen**2
    return outer, lumen


def _lung(X, Y, Z, side: int, zd):
    """Right (side -1) or left (+1) lung region before carving by the heart."""
    xc, yc, ax, by = side * 80.0, 5.0, 55.0, 80.0
    taper = np.clip(1.0 - ((np.maximum(Z, 55.0) - 55.0) / 85.0) ** 2, 0.0, None)
    chest = _ellipse(X, Y, 0.0, 0.0, BODY_A_MM - 22.0, BODY_B_MM - 22.0) < 1.0
    return (_ellipse(X, Y, xc, yc, ax, by) < taper) & (Z > zd) & chest


def _spine(X, Y, Z, put):
    """Paint vertebral bodies, discs, posterior elements, canal and cord."""
    r_vb = np.sqrt((X - VB_CENTRE_MM[0]) ** 2 + (Y - VB_CENTRE_MM[1]) ** 2)
    phase = np.abs(((Z + 0.5 * VERTEBRA_PITCH_MM) % VERTEBRA_PITCH_MM) - 0.5 * VERTEBRA_PITCH_MM)
    # ``phase``: distance (mm) from the nearest disc centre (z = multiple of the pitch).
    vb = r_vb < VB_RADIUS_MM
    disc = phase < DISC_HALF_MM
    put(vb, Tissue.BONE_CORTEX)
    cancellous = (r_vb < VB_RADIUS_MM - VB_CORTEX_MM) & (phase >= DISC_HALF_MM + ENDPLATE_MM)
    put(vb & cancellous, Tissue.BONE_CANCELLOUS)
    put(vb & disc, Tissue.DISC)
    r_canal = np.sqrt((X - CANAL_CENTRE_MM[0]) ** 2 + (Y - CANAL_CENTRE_MM[1]) ** 2)
    arch = (r_canal < CANAL_RADIUS_MM + 6.0) & ~vb
    spinous = (np.abs(X) < 4.0) & (Y > CANAL_CENTRE_MM[1]) & (Y < 106.0)
    transverse = (np.abs(Y - CANAL_CENTRE_MM[1] + 3.0) < 5.0) & (np.abs(X) < 36.0) & (phase > 9.0)
    put((arch | spinous | transverse) & ~disc & ~vb, Tissue.BONE_CORTEX)
    put(r_canal < CANAL_RADIUS_MM, Tissue.CSF)
    put(_ellipse(X, Y, CANAL_CENTRE_MM[0], CANAL_CENTRE_MM[1] - 1.0, 6.0, 4.5) < 1.0, Tissue.SPINAL_CORD)


def label_map(x_mm, y_mm, z_mm) -> np.ndarray:
    """Tissue label at every voxel centre of the grid spanned by the three axes.

    Parameters
    ----------
    x_mm, y_mm, z_mm
        1-D voxel centre coordinates (LPS, mm) along columns, rows and slices.

    Returns
    -------
    numpy.ndarray
        uint8 :class:`Tissue` labels, shape ``(len(z_mm), len(y_mm), len(x_mm))``.
    """
    X = np.asarray(x_mm, float)[None, None, :]
    Y = np.asarray(y_mm, float)[None, :, None]
    out = np.empty((len(z_mm), len(y_mm), len(x_mm)), np.uint8)
    for start in range(0, len(z_mm), 16):  # chunks keep the temporaries small
        Z = np.asarray(z_mm[start:start + 16], float)[:, None, None]
        out[start:start + 16] = _label_chunk(X, Y, Z)
    return out


def _label_chunk(X, Y, Z) -> np.ndarray:
    shape = np.broadcast_shapes(X.shape, Y.shape, Z.shape)
    lab = np.zeros(shape, np.uint8)

    def put(mask, tissue):
        lab[np.broadcast_to(mask, shape)] = tissue

    zd = diaphragm_z_mm(X, Y)
    below = Z < zd - 6.0  # abdomen, under the diaphragm muscle
    put(_ellipse(X, Y, 0, 0, BODY_A_MM, BODY_B_MM) < 1, Tissue.SUBCUT_FAT)
    put(_ellipse(X, Y, 0, 0, BODY_A_MM - FAT_MM, BODY_B_MM - FAT_MM) < 1, Tissue.MUSCLE)
    # Ribs slope downwards anteriorly; sternum and costal cartilage left out in front.
    band = (_ellipse(X, Y, 0, 0, BODY_A_MM - 14, BODY_B_MM - 14) < 1) & (
        _ellipse(X, Y, 0, 0, BODY_A_MM - 21, BODY_B_MM - 21) >= 1) & (np.abs(X) > 25)
    rib_z = (Z - 15.0 * Y / BODY_B_MM) % 24.0
    put(band & (rib_z < 8.0) & (Z > -90) & (Z < 125), Tissue.RIB)
    sternum = (np.abs(X) < 14) & (Y < -(BODY_B_MM - 24)) & (Y > -(BODY_B_MM - 14))
    put(sternum & (Z > 15) & (Z < 115), Tissue.STERNUM)
    cavity = _ellipse(X, Y, 0, 0, BODY_A_MM - 25, BODY_B_MM - 25) < 1
    put(cavity & below, Tissue.VISCERAL_FAT)
    put(_ellipsoid(X, Y, Z, (0, -20, 60), (30, 32, 45)), Tissue.MEDIASTINAL_FAT)
    put(_lung(X, Y, Z, -1, zd), Tissue.LUNG_R)
    put(_lung(X, Y, Z, +1, zd), Tissue.LUNG_L)
    put(_ellipsoid(X, Y, Z, (18, -28, 5), (58, 48, 42)) & (Z > zd), Tissue.HEART)
    aorta_r2 = (X - 28) ** 2 + (Y - 36) ** 2
    put(((aorta_r2 < 11.0**2) & (Z < 80)) | (aorta_r2 + (Z - 80) ** 2 < 11.0**2), Tissue.AORTA)
    outer, lumen = airway_masks(X, Y, Z)
    put(outer, Tissue.AIRWAY_WALL)
    put(lumen, Tissue.AIRWAY_LUMEN)
    abdomen = below & (_ellipse(X, Y, 0, 0, BODY_A_MM - 22, BODY_B_MM - 22) < 1)
    put(abdomen & _ellipsoid(X, Y, Z, (-55, -5, -75), (95, 80, 62)), Tissue.LIVER)
    put(abdomen & _ellipsoid(X, Y, Z, (92, 30, -75), (28, 45, 42)), Tissue.SPLEEN)
    stomach = abdomen & _ellipsoid(X, Y, Z, (55, -45, -65), (38, 30, 33))
    put(stomach, Tissue.STOMACH_FLUID)
    put(stomach & (Y < -62), Tissue.STOMACH_GAS)
    for c, r in (((20, -60, -132), 18), ((-22, -68, -143), 16), ((62, -30, -138), 18), ((35, -78, -112), 14)):
        put(abdomen & _ellipsoid(X, Y, Z, c, (r, r, r)), Tissue.BOWEL)
    kidneys = (((-70, 62, -120), (26, 30, 42)), ((72, 60, -110), (26, 30, 40)))
    for c, semi in kidneys:
        put(_ellipsoid(X, Y, Z, c, tuple(s + 10 for s in semi)), Tissue.VISCERAL_FAT)
    put(_ellipsoid(X, Y, Z, ADRENAL_FAT_CENTRE_MM, ADRENAL_FAT_SEMI_MM), Tissue.VISCERAL_FAT)
    for c, semi in kidneys:
        put(_ellipsoid(X, Y, Z, c, semi), Tissue.KIDNEY)
    _spine(X, Y, Z, put)
    return lab


def organ_masks(labels: np.ndarray, grid: Grid) -> dict[str, np.ndarray]:
    """Binary masks of the organs at risk on ``grid`` (TG-263 names).

    Lungs include the small airways inside them (holes filled per slice); the
    proximal bronchial tree (BRONCHUS_PROX) is the airway with its wall from
    2 cm above the carina down to the lobar bronchi.
    """
    Z = np.asarray(grid.z_mm)[:, None, None]
    airway = np.isin(labels, (Tissue.AIRWAY_WALL, Tissue.AIRWAY_LUMEN))
    in_plane = np.zeros((3, 3, 3), bool)
    in_plane[1] = ndimage.generate_binary_structure(2, 1)

    def filled(mask):
        return ndimage.binary_fill_holes(mask, structure=in_plane)

    return {
        "BODY": filled(labels != Tissue.AIR),
        "LUNG_L": filled(labels == Tissue.LUNG_L),
        "LUNG_R": filled(labels == Tissue.LUNG_R),
        "LIVER": filled(labels == Tissue.LIVER),
        "SPINALCORD": labels == Tissue.SPINAL_CORD,
        "BRONCHUS_PROX": airway & (Z <= PBT_TOP_Z_MM),
        "HEART": filled(labels == Tissue.HEART),
    }


def sphere_fraction(grid: Grid, centre_mm, radius_mm: float, supersample: int = 4):
    """Fraction of each voxel inside a sphere, by supersampling.

    Returns
    -------
    tuple
        ``(index, fraction)``: a tuple of three slices into the grid's
        ``(z, y, x)`` array and the fraction (0..1) of each voxel of that box.
    """
    dz = grid.slice_step_mm
    axes = (np.asarray(grid.z_mm), grid.y_mm, grid.x_mm)
    steps = (dz, grid.spacing_mm, grid.spacing_mm)
    centre_zyx = (centre_mm[2], centre_mm[1], centre_mm[0])
    index, sub = [], []
    for ax, step, c in zip(axes, steps, centre_zyx):
        near = np.nonzero(np.abs(ax - c) < radius_mm + step)[0]
        index.append(slice(int(near[0]), int(near[-1]) + 1))
        offsets = ((np.arange(supersample) + 0.5) / supersample - 0.5) * step
        sub.append((ax[near][:, None] + offsets[None, :]).ravel() - c)
    d2 = sub[0][:, None, None] ** 2 + sub[1][None, :, None] ** 2 + sub[2][None, None, :] ** 2
    inside = (d2 < radius_mm**2).astype(np.float64)
    n = supersample
    nz, ny, nx = (s.stop - s.start for s in index)
    fraction = inside.reshape(nz, n, ny, n, nx, n).mean(axis=(1, 3, 5))
    return tuple(index), fraction


def check_lesions(
    lesions, labels: np.ndarray, grid: Grid, margin_mm: float = 2.0, gap_mm: float = 5.0
) -> None:
    """Raise ValueError unless every lesion lies in its host tissue, apart from the others.

    Every voxel centre within ``radius + margin_mm`` of a lesion centre must
    carry the lesion's host label; lesion surfaces must be ``gap_mm`` apart.
    """
    Z = np.asarray(grid.z_mm)[:, None, None]
    X, Y = grid.x_mm[None, None, :], grid.y_mm[None, :, None]
    for les in lesions:
        cx, cy, cz = les.centre_mm
        near = (X - cx) ** 2 + (Y - cy) ** 2 + (Z - cz) ** 2 <= (les.radius_mm + margin_mm) ** 2
        found = np.unique(labels[near])
        if not np.all(found == les.host):
            names = [Tissue(v).name for v in found]
            raise ValueError(
                f"lesion {les.lesion_id} at {les.centre_mm} mm touches {names}; expected only "
                f"{les.host.name}: move its centre or shrink it")
    for i, a in enumerate(lesions):
        for b in lesions[i + 1:]:
            gap = np.linalg.norm(np.subtract(a.centre_mm, b.centre_mm)) - a.radius_mm - b.radius_mm
            if gap < gap_mm:
                raise ValueError(
                    f"lesions {a.lesion_id} and {b.lesion_id} are {gap:.1f} mm apart; "
                    f"need {gap_mm} mm: move one")


def surface_distance_mm(lesion: Lesion, mask: np.ndarray, grid: Grid) -> float:
    """Distance (mm) from the lesion surface to the nearest voxel centre of ``mask``."""
    k, j, i = np.nonzero(mask)
    pts = np.stack([grid.x_mm[i], grid.y_mm[j], np.asarray(grid.z_mm)[k]], axis=1)
    return float(np.min(np.linalg.norm(pts - np.asarray(lesion.centre_mm), axis=1)) - lesion.radius_mm)


def _simplify(points: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker simplification of an open polyline (keeps both ends)."""
    keep = np.zeros(len(points), bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1:b] - points[a]
        norm = np.hypot(*seg)
        if norm == 0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        m = int(np.argmax(dist))
        if dist[m] > tol:
            keep[a + 1 + m] = True
            stack += [(a, a + 1 + m), (a + 1 + m, b)]
    return points[keep]


def mask_contours(mask2d: np.ndarray, tol_px: float = 0.4) -> list[np.ndarray]:
    """Closed outlines of a 2-D mask in (column, row) pixel coordinates.

    Marching squares at level 0.5 (contourpy), simplified by Douglas-Peucker
    with tolerance ``tol_px``; the first point is not repeated at the end.
    The mask must have no holes (each outline bounds one filled region).
    """
    import contourpy

    padded = np.pad(mask2d.astype(np.float64), 1)
    lines = contourpy.contour_generator(z=padded, line_type="Separate").lines(0.5)
    out = []
    for line in lines:
        pts = np.asarray(line, float) - 1.0
        if len(pts) > 3 and np.allclose(pts[0], pts[-1]):
            pts = pts[:-1]
        # split the ring at its farthest point so both halves keep their ends
        far = int(np.argmax(np.hypot(*(pts - pts[0]).T)))
        ring = np.concatenate([pts, pts[:1]])
        simple = np.concatenate([_simplify(ring[: far + 1], tol_px)[:-1], _simplify(ring[far:], tol_px)[:-1]])
        if len(simple) >= 3:
            out.append(simple)
    return out
