"""What the three slice views show: volumes, crosshair, windows, overlay (Qt-free).

napari's habit: the model validates, changes its state, then emits an event;
views subscribe in their ``__init__`` and only read from the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from core.events import Signal
from core.lesions import Lesion, LesionEvent, LesionMask, LesionSet
from core.measure import Measurements
from core.resample import PlaneResampler
from core.volume import Modality, ValueUnit, Volume
from core.workspace import grid_for, measure_on
from gui.render import (
    COLORMAPS,
    LEGACY_COLORMAPS,
    MR_DEFAULT_PRESET,
    WINDOW_PRESETS,
    Window,
    WindowPreset,
    percentile_window,
)

_DEFAULT_CT_WINDOW = next(p.window for p in WINDOW_PRESETS if p.key == "2")
_DEFAULT_SUV_WINDOW = next(p.window for p in WINDOW_PRESETS if p.unit == "SUV")


def is_hu(volume: Volume | None) -> bool:
    return volume is not None and volume.unit is ValueUnit.HU


def is_suv(volume: Volume | None) -> bool:
    return volume is not None and volume.unit in (ValueUnit.SUV_BW, ValueUnit.SUL)


def is_mr(volume: Volume | None) -> bool:
    return volume is not None and volume.modality is Modality.MR


def is_pet(volume: Volume | None) -> bool:
    return volume is not None and (volume.modality is Modality.PT or is_suv(volume))


def _subsample(volume: Volume) -> np.ndarray:
    nz, ny, nx = volume.shape
    step = max(1, int(round((nz * ny * nx / 2e5) ** (1 / 3))))
    return volume.voxels[::step, ::step, ::step]


def value_range(volume: Volume) -> tuple[float, float]:
    """(min, max) of a subsample of the voxels, for display only."""
    sample = _subsample(volume)
    lo, hi = float(np.nanmin(sample)), float(np.nanmax(sample))
    return lo, max(hi, lo + 1e-6)


def default_window(volume: Volume) -> Window:
    """Soft tissue for CT, SUV 0-10 for PET in SUV, MR auto for MR, else 1st..99.5th percentile."""
    if is_hu(volume):
        return _DEFAULT_CT_WINDOW
    if is_suv(volume):
        return _DEFAULT_SUV_WINDOW
    if is_mr(volume):
        return percentile_window(_subsample(volume), MR_DEFAULT_PRESET.percentiles_pct)
    sample = _subsample(volume).astype(np.float32)
    lo, hi = np.nanpercentile(sample, [1.0, 99.5])
    if not hi > lo:
        lo, hi = value_range(volume)
    return Window.from_range(float(lo), float(hi))


@dataclass(frozen=True)
class Reading:
    label: str  # e.g. "CT", "PT"
    value: float | None  # None outside the volume
    unit: ValueUnit


@dataclass(frozen=True)
class Probe:
    """What lies under the mouse: patient position and the value of each volume."""

    index_zyx: tuple[float, float, float]
    position_mm: tuple[float, float, float]  # LPS x, y, z
    readings: tuple[Reading, ...]


class ViewerModel:
    """State shared by the three views.

    Events (``model.events.<name>.connect(callback)``):
    ``volumes()`` after new volumes; ``cursor(old, new)`` after the crosshair
    moved; ``window()`` after the base window changed; ``overlay()`` after the
    overlay's window, opacity or colour map changed; ``lesions()`` after the
    lesion set was replaced by another (a case opened); ``selection(old, new)``
    after the selected lesion id changed; ``lesion_changed(event)`` after every
    edit of the shown lesions (the ``core.lesions.LesionEvent`` of
    ``model.lesions.changed``, re-emitted). Subscribe to ``lesion_changed``
    rather than to the lesion set: it follows whichever set is shown, so
    nobody re-subscribes when a case is opened.

    ``case_closed()`` fires just before another case (another patient, another
    case file, a new empty case) replaces the shown one, followed by
    ``lesions()`` once it is shown. It is the one place per-case state is reset:
    every component that keeps state about the shown case (a tool's preview or
    outline in progress, the selection, candidate lists, proposals, a practice's
    reference) subscribes with one line, e.g.
    ``model.events.case_closed.connect(self._on_model_case_closed)``, and drops it
    there. (The undo history is the case controller's and is cleared with the case.)
    """

    def __init__(self) -> None:
        self.events = SimpleNamespace(
            volumes=Signal(), cursor=Signal(), window=Signal(), overlay=Signal(),
            lesions=Signal(), selection=Signal(), case_closed=Signal(), lesion_changed=Signal(),
        )
        self._lesions = LesionSet()
        self._lesions.changed.connect(self._on_lesions_changed)
        self._selected: str | None = None
        self._measured: dict[str, tuple[Lesion, Measurements]] = {}
        self._base: Volume | None = None
        self._overlay: Volume | None = None
        self._sampler: PlaneResampler | None = None
        self._cursor = (0, 0, 0)
        self._base_window = _DEFAULT_CT_WINDOW
        self._base_range = (0.0, 1.0)
        self._overlay_window = _DEFAULT_SUV_WINDOW
        self._overlay_opacity = 0.5
        self._overlay_cmap = COLORMAPS[0]
        self._overlay_visible = True

    # ---------------------------------------------------------------- volumes
    @property
    def base(self) -> Volume | None:
        return self._base

    @property
    def overlay(self) -> Volume | None:
        return self._overlay

    @property
    def sampler(self) -> PlaneResampler | None:
        """Overlay planes on the base grid (None without an overlay)."""
        return self._sampler

    @property
    def base_range(self) -> tuple[float, float]:
        return self._base_range

    def set_volumes(self, base: Volume | None, overlay: Volume | None = None) -> None:
        """Show ``base`` (and ``overlay`` fused over it); crosshair to the centre."""
        if overlay is not None and base is None:
            raise ValueError("an overlay needs a base volume to be shown over")
        for name, vol in (("base", base), ("overlay", overlay)):
            if vol is not None and not isinstance(vol, Volume):
                raise TypeError(f"{name} must be a core.volume.Volume; got {type(vol).__name__}")
        self._base = base
        self._overlay = overlay
        self._sampler = PlaneResampler(overlay, base) if overlay is not None else None
        if base is not None:
            self._base_window = default_window(base)
            self._base_range = value_range(base)
            self._cursor = tuple(int(n // 2) for n in base.shape)
        if overlay is not None:
            self._overlay_window = default_window(overlay)
        self._measured.clear()
        self.events.volumes.emit()

    def clear(self) -> None:
        self.set_volumes(None)

    # ----------------------------------------------------------------- cursor
    @property
    def cursor(self) -> tuple[int, int, int]:
        """Crosshair as a voxel index (z, y, x) of the base volume."""
        return self._cursor

    def set_cursor(self, zyx) -> None:
        if self._base is None:
            return
        upper = np.array(self._base.shape) - 1
        new = tuple(int(v) for v in np.clip(np.rint(np.asarray(zyx, float)), 0, upper))
        if new != self._cursor:
            old, self._cursor = self._cursor, new
            self.events.cursor.emit(old, new)

    def step_slice(self, axis: int, delta: int) -> None:
        zyx = list(self._cursor)
        zyx[axis] += int(delta)
        self.set_cursor(zyx)

    @property
    def cursor_mm(self) -> tuple[float, float, float] | None:
        if self._base is None:
            return None
        return tuple(float(v) for v in self._base.index_to_patient(np.array(self._cursor, float)))

    # ---------------------------------------------------------------- windows
    @property
    def base_window(self) -> Window:
        return self._base_window

    def set_base_window(self, window: Window) -> None:
        if not isinstance(window, Window):
            raise TypeError(f"window must be a gui.render.Window; got {type(window).__name__}")
        if window != self._base_window:
            self._base_window = window
            self.events.window.emit()

    @property
    def overlay_window(self) -> Window:
        return self._overlay_window

    def set_overlay_window(self, window: Window) -> None:
        if not isinstance(window, Window):
            raise TypeError(f"window must be a gui.render.Window; got {type(window).__name__}")
        if window != self._overlay_window:
            self._overlay_window = window
            self.events.overlay.emit()

    @property
    def overlay_opacity(self) -> float:
        return self._overlay_opacity

    def set_overlay_opacity(self, opacity: float) -> None:
        opacity = float(opacity)
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"overlay opacity must be between 0 and 1; got {opacity}")
        if opacity != self._overlay_opacity:
            self._overlay_opacity = opacity
            self.events.overlay.emit()

    @property
    def overlay_visible(self) -> bool:
        return self._overlay_visible

    def set_overlay_visible(self, visible: bool) -> None:
        visible = bool(visible)
        if visible != self._overlay_visible:
            self._overlay_visible = visible
            self.events.overlay.emit()

    @property
    def shows_overlay(self) -> bool:
        """True when an overlay is loaded, visible and not fully transparent."""
        return self._overlay is not None and self._overlay_visible and self._overlay_opacity > 0

    @property
    def overlay_cmap(self) -> str:
        """The PET colour map (the fused PET's, and a PET shown alone's)."""
        return self._overlay_cmap

    @property
    def base_cmap(self) -> str | None:
        """The colour map the base image is drawn in: the PET one for a PET shown alone, None (grey)
        for CT, MR and anything else."""
        return self._overlay_cmap if is_pet(self._base) else None

    def set_overlay_cmap(self, name: str) -> None:
        """The PET colour map, over CT and alone (a name of :data:`gui.render.COLORMAPS`; older names
        such as "hot" are read as today's)."""
        name = LEGACY_COLORMAPS.get(name, name)
        if name not in COLORMAPS:
            raise ValueError(f"unknown colour map {name!r}; expected one of {', '.join(COLORMAPS)}")
        if name != self._overlay_cmap:
            self._overlay_cmap = name
            self.events.overlay.emit()

    def preset_fits(self, preset: WindowPreset) -> bool:
        """Whether ``preset`` applies to an image on screen (no CT presets for an MR; with no image
        every preset but the MR ones is listed, as before)."""
        if self._base is None:
            return preset.unit != "MR"
        layers = (self._base, self._overlay)
        if preset.unit == "HU":
            return any(is_hu(v) for v in layers)
        if preset.unit == "SUV":
            return any(is_suv(v) for v in layers)
        if preset.unit == "MR":
            return any(is_mr(v) for v in layers)
        return False

    def apply_preset(self, preset: WindowPreset) -> str:
        """Apply a window preset to the layer it fits.

        Returns "base", "overlay" or "" when no shown volume has the preset's
        unit (HU presets need a CT, the SUV preset a PET in SUV, MR presets an MR;
        an MR preset's window is worked out from the MR's voxels).
        """
        if preset.unit == "HU" and is_hu(self._base):
            self.set_base_window(preset.window)
            return "base"
        if preset.unit == "SUV":
            if is_suv(self._overlay):
                self.set_overlay_window(preset.window)
                return "overlay"
            if is_suv(self._base):
                self.set_base_window(preset.window)
                return "base"
        if preset.unit == "MR":
            if is_mr(self._base):
                self.set_base_window(percentile_window(_subsample(self._base), preset.percentiles_pct))
                return "base"
            if is_mr(self._overlay):
                self.set_overlay_window(percentile_window(_subsample(self._overlay), preset.percentiles_pct))
                return "overlay"
        return ""

    # ------------------------------------------------------------------ probe
    def probe(self, zyx) -> Probe | None:
        """Position (LPS mm) and values of every shown volume at a base index."""
        base = self._base
        if base is None:
            return None
        zyx = np.asarray(zyx, dtype=np.float64)
        xyz = base.index_to_patient(zyx)
        readings = [Reading(base.modality.value, base.value_at(xyz), base.unit)]
        if self._overlay is not None:
            ov = self._overlay
            readings.append(Reading(ov.modality.value, ov.value_at(xyz), ov.unit))
        return Probe(
            index_zyx=tuple(float(v) for v in zyx),
            position_mm=tuple(float(v) for v in xyz),
            readings=tuple(readings),
        )

    # ---------------------------------------------------------------- lesions
    @property
    def lesions(self) -> LesionSet:
        return self._lesions

    def set_lesions(self, lesions: LesionSet) -> None:
        """Show another lesion set (a case was opened or started)."""
        if not isinstance(lesions, LesionSet):
            raise TypeError(f"lesions must be a core.lesions.LesionSet; got {type(lesions).__name__}")
        self.set_selected(None)
        self.events.case_closed.emit()  # per-case state of the old case goes (see the class docstring)
        self._lesions.changed.disconnect(self._on_lesions_changed)
        self._lesions = lesions
        lesions.changed.connect(self._on_lesions_changed)
        self._measured.clear()
        self._selected = None
        self.events.lesions.emit()

    @property
    def selected_id(self) -> str | None:
        return self._selected

    @property
    def selected(self) -> Lesion | None:
        return self._lesions[self._selected] if self._selected in self._lesions else None

    def set_selected(self, lesion_id: str | None) -> None:
        if lesion_id is not None and lesion_id not in self._lesions:
            raise KeyError(f"no lesion with id '{lesion_id}'")
        if lesion_id != self._selected:
            old, self._selected = self._selected, lesion_id
            self.events.selection.emit(old, lesion_id)

    def _on_lesions_changed(self, event: LesionEvent) -> None:
        if self._selected is not None and self._selected not in self._lesions:
            self.set_selected(None)
        self.events.lesion_changed.emit(event)

    def grid_for(self, mask: LesionMask) -> Volume | None:
        """The shown volume a mask was drawn on (core.workspace.grid_for), if any."""
        return grid_for((self._base, self._overlay), mask)

    def measure(self, lesion: Lesion) -> Measurements:
        """core.workspace.measure_on of a lesion on the shown images (cached until the lesion changes)."""
        cached = self._measured.get(lesion.id)
        if cached is not None and cached[0] is lesion:
            return cached[1]
        result = measure_on(lesion, (self._base, self._overlay))
        self._measured[lesion.id] = (lesion, result)
        return result

    def lesion_centre_index(self, lesion: Lesion) -> np.ndarray | None:
        """Base index (z, y, x) of a lesion's centroid (its marker when point-only)."""
        if self._base is None:
            return None
        centre = self.measure(lesion).centroid_mm
        if centre is None:
            centre = lesion.point_mm
        if centre is None:
            return None
        return self._base.patient_to_index(np.asarray(centre, dtype=np.float64))

    def go_to_lesion(self, lesion_id: str) -> None:
        """Move the crosshair (and so the three views) to a lesion's centre."""
        zyx = self.lesion_centre_index(self._lesions[lesion_id])
        if zyx is not None:
            self.set_cursor(zyx)
