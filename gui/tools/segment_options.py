"""The click-segment tool's PET options on the tools toolbar, remembered in the settings.

"Adaptive (size-corrected % of SUVmax)" with the scanner's FWHM, or "Fixed %
of SUVmax" with the percentage. The widget writes the choice into the tool's
:class:`core.segment.SegmentParams` (the one source of truth) and into the
settings at once, so the next start uses it; the numbers it offers come from
core (defaults) and core checks them.
"""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from core.segment import PetMethod, SegmentParams
from gui.settings import SEGMENT_PET_FIXED_PERCENT, SEGMENT_PET_FWHM_MM, SEGMENT_PET_METHOD, Settings

METHOD_TEXT = {
    PetMethod.ADAPTIVE: "Adaptive (size-corrected % of SUVmax)",
    PetMethod.FIXED: "Fixed % of SUVmax",
}
FWHM_LIMITS_MM = (2.0, 15.0)
PERCENT_LIMITS = (10.0, 90.0)


def params_from_settings(settings: Settings, base: SegmentParams = SegmentParams()) -> SegmentParams:
    """The click tool's parameters with the remembered PET choice (bad stored values: the defaults)."""
    try:
        method = PetMethod.parse(settings.get(SEGMENT_PET_METHOD))
    except ValueError:
        method = base.pet_method
    fwhm = _stored(settings, SEGMENT_PET_FWHM_MM, FWHM_LIMITS_MM, base.pet_fwhm_mm)
    percent = _stored(settings, SEGMENT_PET_FIXED_PERCENT, PERCENT_LIMITS, 100.0 * base.pet_fraction)
    return replace(base, pet_method=method, pet_fwhm_mm=fwhm, pet_fraction=percent / 100.0)


def _stored(settings: Settings, setting, limits: tuple[float, float], default: float) -> float:
    """A remembered number brought within ``limits``; ``default`` when it is not a number (NaN)."""
    value = float(settings.get(setting))
    if math.isnan(value):  # min/max would keep it, and SegmentParams would refuse it at start-up
        return default
    return min(max(value, limits[0]), limits[1])


class SegmentOptions(QWidget):
    """PET method, FWHM and fixed percentage of the click-segment tool.

    Parameters
    ----------
    tool
        The :class:`gui.tools.segment.SegmentTool` whose ``params`` this edits.
    settings
        Where the choice is remembered.
    """

    def __init__(self, tool, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("segment_options")
        self.tool = tool
        self.settings = settings
        tool.set_params(params_from_settings(settings, tool.params))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Click-segment PET", self))
        self.method_combo = QComboBox(self)
        self.method_combo.setObjectName("segment_pet_method")
        for method, text in METHOD_TEXT.items():
            self.method_combo.addItem(text, method.value)
        self.method_combo.setToolTip(
            "How click-segment draws a lesion's edge on a fused PET (docs/segmentation.md).\n"
            "Adaptive: a threshold fitted to each lesion's size and the scanner's resolution\n"
            "(the default: within 10% of the volume on the test phantoms).\n"
            "Fixed: the same % of the local SUVmax for every lesion, of the uptake above the background.")
        self.fwhm_spin = self._spin("segment_pet_fwhm", FWHM_LIMITS_MM, 1, 0.5, " mm",
                                    "The PET's reconstructed resolution (FWHM, mm): set it to your scanner "
                                    "and reconstruction; small lesions depend on it")
        self.fwhm_spin.setPrefix("scanner FWHM ")
        self.percent_spin = self._spin("segment_pet_percent", PERCENT_LIMITS, 0, 5.0, " % of SUVmax",
                                       "Fixed threshold: this % of the local SUVmax, of the uptake above the "
                                       "surroundings")
        for w in (self.method_combo, self.fwhm_spin, self.percent_spin):
            layout.addWidget(w)
        self._show(tool.params)
        self.method_combo.currentIndexChanged.connect(self._on_method_combo_changed)
        self.fwhm_spin.valueChanged.connect(self._on_fwhm_spin_changed)
        self.percent_spin.valueChanged.connect(self._on_percent_spin_changed)

    # ------------------------------------------------------------ plain API
    def set_method(self, method: PetMethod | str) -> None:
        self._apply(pet_method=PetMethod.parse(method))

    def set_fwhm_mm(self, fwhm_mm: float) -> None:
        self._apply(pet_fwhm_mm=float(fwhm_mm))

    def set_fixed_percent(self, percent: float) -> None:
        self._apply(pet_fraction=float(percent) / 100.0)

    # ------------------------------------------------------------- internals
    def _spin(self, name: str, limits: tuple[float, float], decimals: int, step: float, suffix: str,
              tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(*limits)
        spin.setDecimals(decimals)
        spin.setSingleStep(step)
        spin.setSuffix(suffix)
        spin.setToolTip(tip)
        return spin

    def _apply(self, **changes) -> None:
        params = replace(self.tool.params, **changes)
        self.tool.set_params(params)
        self.settings.set(SEGMENT_PET_METHOD, params.pet_method.value)
        self.settings.set(SEGMENT_PET_FWHM_MM, float(params.pet_fwhm_mm))
        self.settings.set(SEGMENT_PET_FIXED_PERCENT, float(round(100.0 * params.pet_fraction, 3)))
        self._show(params)

    def _show(self, params: SegmentParams) -> None:
        with QSignalBlocker(self.method_combo), QSignalBlocker(self.fwhm_spin), QSignalBlocker(self.percent_spin):
            self.method_combo.setCurrentIndex(self.method_combo.findData(params.pet_method.value))
            self.fwhm_spin.setValue(params.pet_fwhm_mm)
            self.percent_spin.setValue(100.0 * params.pet_fraction)
        adaptive = params.pet_method is PetMethod.ADAPTIVE
        self.fwhm_spin.setVisible(adaptive)
        self.percent_spin.setVisible(not adaptive)

    def _on_method_combo_changed(self, index: int) -> None:
        self.set_method(self.method_combo.itemData(index))

    def _on_fwhm_spin_changed(self, value: float) -> None:
        self.set_fwhm_mm(value)

    def _on_percent_spin_changed(self, value: float) -> None:
        self.set_fixed_percent(value)
