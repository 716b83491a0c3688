"""Contours drawn across the slices shown (axial contours on a sagittal or oblique MR of
the same frame of reference) give the right mask: rasterised on their own planes and
resampled in 3D, checked against analytic shapes on the target grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from scipy.spatial.transform import Rotation

from core.dicom import load_series, scan_folder
from core.measure import mask_volume_cc
from core.rt import rasterise_oblique
from core.rt.rasterise import Contour, rasterise_contours
from core.rt.rtstruct_read import read_contours
from core.volume import Modality, SeriesInfo, Volume

CENTRE = np.array([12.0, -30.0, 40.0])  # LPS mm
CONTOUR_STEP_MM = 2.5


def oriented_grid(row_dir, col_dir, shape, spacing, centre=CENTRE) -> Volume:
    """A grid of ``shape`` (z, y, x), ``spacing`` (dz, dy, dx) mm, centred on ``centre``."""
    row_dir, col_dir = np.asarray(row_dir, float), np.asarray(col_dir, float)
    normal = np.cross(row_dir, col_dir)
    nz, ny, nx = shape
    dz, dy, dx = spacing
    origin = centre - (nx - 1) / 2 * dx * row_dir - (ny - 1) / 2 * dy * col_dir - (nz - 1) / 2 * dz * normal
    positions = origin + np.arange(nz)[:, None] * dz * normal
    return Volume(np.zeros(shape, np.int16), positions, row_dir, col_dir, (dy, dx),
                  SeriesInfo("1.2.826.0.1.3680043.8.498.77", modality=Modality.MR, description="target"))


def sagittal_grid() -> Volume:
    # DICOM sagittal: rows along +y (posterior), columns down (-z)
    return oriented_grid((0, 1, 0), (0, 0, -1), (40, 80, 70), (2.0, 1.0, 1.0))


def oblique_grid() -> Volume:
    # an axial grid turned 30 degrees about an axis in neither the x, y nor z direction,
    # with anisotropic voxels (3.5 mm slices, 0.9 x 1.3 mm pixels)
    turn = Rotation.from_rotvec(np.radians(30.0) * np.array([1.0, 1.0, 0.3]) / np.linalg.norm([1.0, 1.0, 0.3]))
    row, col = turn.apply([1.0, 0.0, 0.0]), turn.apply([0.0, 1.0, 0.0])
    return oriented_grid(row, col, (26, 80, 60), (3.5, 0.9, 1.3))


class Ellipsoid:
    """x^T A x <= 1 around CENTRE: semi-axes along the columns of ``rotation``."""

    def __init__(self, semi_axes, rotation=np.eye(3)):
        self.semi_axes = np.asarray(semi_axes, float)
        self.quadric = rotation @ np.diag(1.0 / self.semi_axes ** 2) @ rotation.T

    @property
    def volume_cc(self) -> float:
        return 4.0 / 3.0 * np.pi * float(np.prod(self.semi_axes)) / 1000.0

    def inside(self, xyz_mm: np.ndarray) -> np.ndarray:
        d = xyz_mm - CENTRE
        return np.einsum("...i,ij,...j->...", d, self.quadric, d) <= 1.0

    def axial_contours(self, step=CONTOUR_STEP_MM, n_points=180) -> list[Contour]:
        """Its cross-sections on axial planes every ``step`` mm, planes at the slab centres."""
        a2, b, c = self.quadric[:2, :2], self.quadric[:2, 2], self.quadric[2, 2]
        inv = np.linalg.inv(a2)
        half = np.sqrt(1.0 / (c - b @ inv @ b))  # half height along z
        n = int(np.ceil(half / step))
        lam, q = np.linalg.eigh(a2)
        t = np.linspace(0, 2 * np.pi, n_points, endpoint=False)
        out = []
        for k in range(-n, n):
            dz = (k + 0.5) * step
            level = 1.0 - dz * dz * (c - b @ inv @ b)
            if level <= 0:
                continue
            centre_xy = -inv @ b * dz
            pts = centre_xy + (q @ (np.sqrt(level / lam)[:, None] * np.stack([np.cos(t), np.sin(t)]))).T
            out.append(Contour(np.column_stack([pts + CENTRE[:2], np.full(n_points, CENTRE[2] + dz)])))
        return out


SPHERE = Ellipsoid((20.0, 20.0, 20.0))
OFF_AXIS = Ellipsoid((24.0, 14.0, 10.0), Rotation.from_euler("zxy", [35, 25, -15], degrees=True).as_matrix())


def voxel_centres_mm(volume: Volume) -> np.ndarray:
    return volume.index_to_patient(np.indices(volume.shape).transpose(1, 2, 3, 0).astype(float))


def centroid_mm(mask, volume) -> np.ndarray:
    return volume.index_to_patient(mask.indices().mean(axis=0))


@pytest.mark.parametrize("shape", [SPHERE, OFF_AXIS], ids=["sphere", "off-axis ellipsoid"])
@pytest.mark.parametrize("make_target", [sagittal_grid, oblique_grid], ids=["sagittal", "oblique 30deg"])
def test_axial_contours_on_another_orientation_match_the_analytic_shape(shape, make_target):
    target = make_target()
    result = rasterise_contours(shape.axial_contours(), target, "GTV")
    truth = shape.inside(voxel_centres_mm(target))
    mask = result.mask.full()
    assert mask_volume_cc(result.mask, target) == pytest.approx(shape.volume_cc, rel=0.03)
    assert np.linalg.norm(centroid_mm(result.mask, target) - CENTRE) < 0.5
    dice = 2 * (mask & truth).sum() / (mask.sum() + truth.sum())
    assert dice > 0.9
    assert result.n_drawn == len(shape.axial_contours())
    assert result.mask.series_uid == target.info.series_uid and result.mask.grid_shape == target.shape
    (note,) = [w for w in result.warnings if "not parallel" in w]
    assert note.startswith(f"GTV: {result.n_drawn} of {result.n_drawn} contour(s)")
    assert "resampled in 3D" in note and "nearest slice" not in note


def test_the_same_contours_give_the_same_volume_on_axial_and_sagittal_grids():
    axial = oriented_grid((1, 0, 0), (0, 1, 0), (30, 70, 70), (2.5, 1.0, 1.0))
    on_axial = rasterise_contours(OFF_AXIS.axial_contours(), axial, "GTV")
    on_sagittal = rasterise_contours(OFF_AXIS.axial_contours(), sagittal_grid(), "GTV")
    assert not any("not parallel" in w for w in on_axial.warnings)  # the slice-by-slice path
    # (the sagittal columns fall exactly half-way between some contour planes, where both
    # neighbouring planes count: about 2% more here)
    assert mask_volume_cc(on_sagittal.mask, sagittal_grid()) == pytest.approx(
        mask_volume_cc(on_axial.mask, axial), rel=0.03)


def disk(z, centre_xy=(12.0, -30.0), r=8.0, n=120):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return Contour(np.column_stack([centre_xy[0] + r * np.cos(t), centre_xy[1] + r * np.sin(t), np.full(n, z)]))


def stacked_disks(volume: Volume, slabs, centre_xy=(12.0, -30.0), r=8.0) -> np.ndarray:
    """Analytic truth on the grid: voxel centres within ``r`` of the axis and in a slab
    (z0, z1) mm (each contour plane stands for the slab half-way to its neighbours)."""
    xyz = voxel_centres_mm(volume)
    in_disk = np.hypot(xyz[..., 0] - centre_xy[0], xyz[..., 1] - centre_xy[1]) <= r
    in_slab = np.zeros(volume.shape, bool)
    for z0, z1 in slabs:
        in_slab |= (xyz[..., 2] >= z0 - 1e-6) & (xyz[..., 2] <= z1 + 1e-6)
    return in_disk & in_slab


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


def test_each_contour_plane_covers_half_a_step_and_a_gap_between_two_lesions_stays_empty():
    # sagittal, 0.5 mm along z, covering z = -3 .. 57 mm
    target = oriented_grid((0, 1, 0), (0, 0, -1), (30, 120, 60), (1.0, 0.5, 0.5), centre=(12.0, -30.0, 27.0))
    lower = [disk(z) for z in (10.0, 13.0, 16.0)]   # slab 8.5 .. 17.5 mm
    upper = [disk(z) for z in (40.0, 43.0)]         # slab 38.5 .. 44.5 mm
    result = rasterise_contours(lower + upper, target, "GTV")
    z = target.index_to_patient(result.mask.indices())[:, 2]
    assert z.min() == pytest.approx(8.5, abs=0.3) and z.max() == pytest.approx(44.5, abs=0.3)
    assert not np.any((z > 17.8) & (z < 38.2))  # nothing drawn in the gap
    truth = stacked_disks(target, [(8.5, 17.5), (38.5, 44.5)])
    assert dice(result.mask.full(), truth) > 0.95
    assert result.mask.n_voxels == pytest.approx(truth.sum(), rel=0.03)
    assert result.n_drawn == 5 and not any("outside" in w for w in result.warnings)


def test_contour_planes_beyond_the_image_are_reported_and_the_rest_drawn():
    target = sagittal_grid()  # covers z = 40 +- 40 mm
    contours = [disk(z) for z in (30.2, 33.2, 36.2)] + [disk(200.0)]
    result = rasterise_contours(contours, target, "GTV")
    assert result.n_drawn == 3
    assert any("1 contour plane(s) lie outside the image" in w and "200.0" in w for w in result.warnings)
    truth = stacked_disks(target, [(28.7, 37.7)])
    assert dice(result.mask.full(), truth) > 0.95
    assert result.mask.n_voxels == pytest.approx(truth.sum(), rel=0.03)


def test_contours_entirely_outside_the_image_give_no_mask_and_say_why():
    result = rasterise_contours([disk(z, centre_xy=(400.0, 0.0)) for z in (40.0, 43.0)], sagittal_grid(), "GTV")
    assert result.mask is None
    assert any("beside the image" in w for w in result.warnings)


def test_the_intermediate_grid_covers_the_structure_not_the_series(monkeypatch):
    # a large MR-like grid (400 x 400 x 300 voxels, never copied) and a 16 mm structure
    big = np.broadcast_to(np.zeros(1, np.int16), (300, 400, 400))
    target = Volume(big, oriented_grid((0, 1, 0), (0, 0, -1), (300, 1, 1), (0.8, 0.8, 0.8)).positions_mm
                    - np.array([0, 160.0, -160.0]), (0, 1, 0), (0, 0, -1), (0.8, 0.8),
                    SeriesInfo("1.2.3.4", modality=Modality.MR))
    planes: list[tuple[int, int]] = []
    real = rasterise_oblique.polygons_to_mask

    def spy(polygons, shape):
        planes.append(tuple(shape))
        return real(polygons, shape)

    monkeypatch.setattr(rasterise_oblique, "polygons_to_mask", spy)
    result = rasterise_contours([disk(z) for z in (38.2, 41.2, 44.2)], target, "GTV")
    assert len(planes) == 3
    assert all(rows * cols < 40 * 40 for rows, cols in planes)  # 16 mm at 0.8 mm, plus a margin
    inside = result.mask.indices()  # on the grid: an 8 mm disk from z = 36.7 to 45.7 mm
    xyz = target.index_to_patient(inside)
    assert np.hypot(xyz[:, 0] - 12.0, xyz[:, 1] + 30.0).max() <= 8.0 + 0.8
    assert xyz[:, 2].min() == pytest.approx(36.7, abs=0.8) and xyz[:, 2].max() == pytest.approx(45.7, abs=0.8)


# ------------------------------------------------------------------ real data
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
STS_T2 = DATA / "tcia-sts-001" / "MR_T2"


def grid_around(mask_mm: np.ndarray, row_dir, col_dir, spacing, margin_mm=20.0) -> Volume:
    """A grid of the given orientation covering points ``mask_mm`` with a margin."""
    row, col = np.asarray(row_dir, float), np.asarray(col_dir, float)
    axes = (np.cross(row, col), col, row)
    centre = (mask_mm.min(axis=0) + mask_mm.max(axis=0)) / 2
    shape = tuple(int((np.ptp(mask_mm @ a) + 2 * margin_mm) / s) + 1 for a, s in zip(axes, spacing))
    return oriented_grid(row, col, shape, spacing, centre=centre)


@pytest.mark.skipif(not STS_T2.is_dir(), reason="../shared/data/tcia-sts-001 (real MR with an RTSTRUCT) is not here")
@pytest.mark.parametrize("orientation", [
    ((0, 1, 0), (0, 0, -1), (1.5, 0.8, 0.8)),   # sagittal
    ((1, 0, 0), (0, 0, -1), (1.2, 1.0, 0.7)),   # coronal, anisotropic
    ((1, 0, 0), (0, 1, 0), (2.0, 0.9, 0.9)),    # true axial: the MR is 2 degrees oblique
], ids=["sagittal", "coronal", "axial"])
def test_real_mr_contours_on_another_orientation_match_their_own_series(orientation):
    # Real contours (MIM, 5.2 mm apart on an oblique T2) rasterised on their own T2 and on
    # a grid of another orientation of the same frame: same volume, place and shape.
    scan = scan_folder(STS_T2)
    t2 = load_series(scan.series[0])
    by_roi = read_contours(pydicom.dcmread(scan.structure_sets[0].path))
    assert by_roi
    for number, contours in by_roi.items():
        own = rasterise_contours(contours, t2, "GTV")
        assert own.warnings == ()  # on its own series: the slice-by-slice path
        own_mm = t2.index_to_patient(own.mask.indices())
        target = grid_around(own_mm, *orientation)
        result = rasterise_contours(contours, target, "GTV")
        assert any("resampled in 3D" in w for w in result.warnings)
        assert mask_volume_cc(result.mask, target) == pytest.approx(mask_volume_cc(own.mask, t2), rel=0.03)
        assert np.linalg.norm(centroid_mm(result.mask, target) - own_mm.mean(axis=0)) < 0.5
        # the T2 mask read at the target's voxel centres (nearest T2 voxel)
        idx = np.rint(t2.patient_to_index(voxel_centres_mm(target))).astype(int)
        ok = t2.contains_index(idx)
        own_full = own.mask.full()
        sampled = np.zeros(target.shape, bool)
        sampled[ok] = own_full[tuple(idx[ok].T)]
        assert dice(result.mask.full(), sampled) > 0.9


def _mr_with_a_structure_set_of_another_orientation():
    """(MR series, structure set) in ../shared/data: same frame, contours drawn on a series
    whose slices are at more than 5 degrees to the MR's; None when there is none."""
    scan = scan_folder(DATA)
    by_uid = {e.info.series_uid: e for e in scan.series}
    for mr in (e for e in scan.series if e.info.modality is Modality.MR):
        for ss in scan.structure_sets:
            drawn = by_uid.get(ss.referenced_series_uid)
            if drawn is None or drawn is mr or drawn.info.frame_of_reference_uid != mr.info.frame_of_reference_uid:
                continue
            if abs(float(drawn.geometry.normal @ mr.geometry.normal)) < np.cos(np.radians(5.0)):
                return mr, ss
    return None


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data (real DICOM) is not here")
def test_real_structure_set_on_an_mr_of_another_orientation():
    found = _mr_with_a_structure_set_of_another_orientation()
    if found is None:
        pytest.skip("../shared/data has no MR with a structure set drawn on a series of another orientation "
                    "of its frame of reference (tcia-sts-001's T1, T2 and their structure sets share one "
                    "oblique-axial orientation); the synthetic and re-gridded real tests above cover it")
    mr, ss = found
    volume = load_series(mr)
    contours = read_contours(pydicom.dcmread(ss.path))
    for number, roi_contours in contours.items():
        result = rasterise_contours(roi_contours, volume, "ROI")
        assert any("resampled in 3D" in w for w in result.warnings)
        assert not any("nearest slice" in w for w in result.warnings)
        if result.mask is not None:
            assert result.mask.grid_shape == volume.shape


def test_a_structure_on_a_single_contour_plane_is_one_image_voxel_thick():
    target = sagittal_grid()  # 1 mm along z
    result = rasterise_contours([disk(40.2)], target, "GTV")
    z = target.index_to_patient(result.mask.indices())[:, 2]
    assert np.allclose(z, 40.5)  # the one row of voxels whose slab holds the plane
    # the plane lies 0.3 mm from that row: the in-plane edge shrinks a little (trilinear >= 0.5)
    assert result.mask.n_voxels == pytest.approx(stacked_disks(target, [(39.7, 40.7)]).sum(), rel=0.1)


def test_a_contour_at_another_angle_than_the_others_is_reported():
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    sagittal_contour = Contour(np.column_stack([np.full(60, 12.0), -30 + 6 * np.cos(t), 40 + 6 * np.sin(t)]))
    result = rasterise_contours([disk(z) for z in (37.0, 40.0, 43.0)] + [sagittal_contour], oblique_grid(), "GTV")
    assert any("1 contour(s) lie at another angle than the others" in w for w in result.warnings)
    assert not any("not planar" in w for w in result.warnings)
    assert result.mask is not None


def test_contours_with_no_area_are_not_drawn_and_say_why():
    line = Contour(np.array([[0.0, 0.0, 40.0], [5.0, 0.0, 41.0], [10.0, 0.0, 42.0]]))
    result = rasterise_contours([line], sagittal_grid(), "GTV")
    assert result.mask is None
    assert any("enclose no area" in w for w in result.warnings)
