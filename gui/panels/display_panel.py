"""Display controls: the image window, and the PET overlay's opacity, colour map, range.

Every control writes to the :class:`gui.viewer_model.ViewerModel` and is
updated from its events (with signals blocked, so there is no feedback loop);
the model is the only source of truth.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from gui.render import COLORMAPS, WINDOW_PRESETS, Window
from gui.viewer_model import ViewerModel


RANGE_SPIN_BUTTONS_PX = 28  # the up/down buttons and frame of a spin box


def _spin(parent: QWidget, name: str, decimals: int = 1) -> QDoubleSpinBox:
    box = QDoubleSpinBox(parent)
    box.setObjectName(name)
    box.setRange(-100000.0, 100000.0)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)
    return box


def _series_text(volume) -> str:
    if volume is None:
        return "—"
    info = volume.info
    return f"{info.modality.value} · {info.description or 'no description'} · {volume.shape[0]} slices"


class DisplayPanel(QWidget):
    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("display_panel")
        self.model = model

        # --- image (base) window
        image_box = QGroupBox("Image", self)
        self.base_label = QLabel("—", image_box)
        self.base_label.setWordWrap(True)
        self.width_spin = _spin(image_box, "window_width_spin")
        self.level_spin = _spin(image_box, "window_level_spin")
        self.width_spin.setMinimum(0.01)
        self.preset_hint = preset_hint = QLabel("", image_box)  # the presets that fit the images (_sync)
        preset_hint.setObjectName("preset_hint")
        preset_hint.setWordWrap(True)
        preset_hint.setStyleSheet("color: gray;")
        form = QFormLayout(image_box)
        form.addRow(self.base_label)
        row = QHBoxLayout()
        row.addWidget(QLabel("W", image_box))
        row.addWidget(self.width_spin, 1)
        row.addWidget(QLabel("L", image_box))
        row.addWidget(self.level_spin, 1)
        form.addRow(row)
        form.addRow(preset_hint)

        # --- overlay
        self.overlay_box = QGroupBox("PET overlay", self)
        self.overlay_label = QLabel("—", self.overlay_box)
        self.overlay_label.setWordWrap(True)
        self.visible_check = QCheckBox("Show (O)", self.overlay_box)
        self.visible_check.setObjectName("overlay_visible_check")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, self.overlay_box)
        self.opacity_slider.setObjectName("overlay_opacity_slider")
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setSingleStep(5)
        self.opacity_slider.setPageStep(10)
        self.opacity_value = QLabel("50 %", self.overlay_box)
        self.opacity_value.setMinimumWidth(40)
        self.cmap_combo = QComboBox(self.overlay_box)
        self.cmap_combo.setObjectName("overlay_colormap_combo")
        self.cmap_combo.addItems(list(COLORMAPS))
        self.low_spin = _spin(self.overlay_box, "overlay_low_spin", 2)
        self.high_spin = _spin(self.overlay_box, "overlay_high_spin", 2)
        for box in (self.low_spin, self.high_spin):
            # wide enough for any SUV or Bq/ml range shown (5 digits), not for the -100000.00 limit:
            # sized by that limit the row made the Display dock, and the window, too wide for 1024 px
            box.setMinimumWidth(box.fontMetrics().horizontalAdvance("88888.88") + RANGE_SPIN_BUTTONS_PX)
        oform = QFormLayout(self.overlay_box)
        oform.addRow(self.overlay_label)
        oform.addRow(self.visible_check)
        orow = QHBoxLayout()
        orow.addWidget(self.opacity_slider, 1)
        orow.addWidget(self.opacity_value)
        oform.addRow("Opacity", orow)
        oform.addRow("Colours", self.cmap_combo)
        rrow = QHBoxLayout()
        rrow.addWidget(self.low_spin, 1)
        rrow.addWidget(QLabel("to", self.overlay_box))
        rrow.addWidget(self.high_spin, 1)
        self.range_label = QLabel("Range", self.overlay_box)
        oform.addRow(self.range_label, rrow)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(image_box)
        layout.addWidget(self.overlay_box)
        layout.addStretch(1)

        self.width_spin.valueChanged.connect(self._on_window_spin_changed)
        self.level_spin.valueChanged.connect(self._on_window_spin_changed)
        self.visible_check.toggled.connect(self.model.set_overlay_visible)
        self.opacity_slider.valueChanged.connect(self._on_opacity_slider_changed)
        self.cmap_combo.currentTextChanged.connect(self.model.set_overlay_cmap)
        self.low_spin.valueChanged.connect(self._on_overlay_range_changed)
        self.high_spin.valueChanged.connect(self._on_overlay_range_changed)

        self._connections = (
            (model.events.volumes, self._sync),
            (model.events.window, self._sync),
            (model.events.overlay, self._sync),
        )
        for signal, slot in self._connections:
            signal.connect(slot)
        self._sync()

    def disconnect_model(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)

    # ----------------------------------------------------- model -> widgets
    def _sync(self) -> None:
        m = self.model
        widgets = (self.width_spin, self.level_spin, self.visible_check, self.opacity_slider,
                   self.cmap_combo, self.low_spin, self.high_spin)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.base_label.setText(_series_text(m.base))
        fitting = [p for p in WINDOW_PRESETS if m.preset_fits(p)]
        self.preset_hint.setText("Presets (keys): " + " · ".join(f"{p.key} {p.name.split(' /')[0]}" for p in fitting))
        self.width_spin.setValue(m.base_window.width)
        self.level_spin.setValue(m.base_window.level)
        self.width_spin.setSuffix(f" {m.base.unit}" if m.base is not None and m.base.unit else "")
        self.level_spin.setSuffix(self.width_spin.suffix())
        self.overlay_box.setEnabled(m.overlay is not None)
        self.overlay_label.setText(_series_text(m.overlay))
        self.visible_check.setChecked(m.overlay_visible)
        self.opacity_slider.setValue(round(m.overlay_opacity * 100))
        self.opacity_value.setText(f"{round(m.overlay_opacity * 100)} %")
        self.cmap_combo.setCurrentText(m.overlay_cmap)
        self.low_spin.setValue(m.overlay_window.low)
        self.high_spin.setValue(m.overlay_window.high)
        unit = m.overlay.unit if m.overlay is not None else ""
        self.range_label.setText(f"Range ({unit})" if unit else "Range")
        del blockers

    # ----------------------------------------------------- widgets -> model
    def _on_window_spin_changed(self, _value: float) -> None:
        width = self.width_spin.value()
        if width > 0:
            self.model.set_base_window(Window(width, self.level_spin.value()))

    def _on_opacity_slider_changed(self, value: int) -> None:
        self.opacity_value.setText(f"{value} %")
        self.model.set_overlay_opacity(value / 100.0)

    def _on_overlay_range_changed(self, _value: float) -> None:
        low, high = self.low_spin.value(), self.high_spin.value()
        if high > low:
            self.model.set_overlay_window(Window.from_range(low, high))
