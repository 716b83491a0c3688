"""The "OAR flag settings" dialog: which structures and what margin make a lung lesion ultracentral.

There is no consensus definition of ultracentral, so both are the user's
choice. A view only: it edits a :class:`core.rules.oar.OarSettings` and gives
back a new one (:meth:`OarSettingsDialog.settings`); the rules wiring saves it
to the user config (core.rules.oar_settings, read by `oligoplan check` too).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core.rules.oar import ROLES, OarSettings
from core.rules.oar_settings import LIMITS_MM


class OarSettingsDialog(QDialog):
    def __init__(self, settings: OarSettings, where: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("OAR flag settings")
        self.setObjectName("oar_settings_dialog")
        self._base = settings
        self.margin = QDoubleSpinBox(self)
        self.margin.setObjectName("ultracentral_margin_spin")
        self.margin.setRange(*LIMITS_MM["ultracentral_margin_mm"])  # what the settings file accepts
        self.margin.setDecimals(1)
        self.margin.setSuffix(" mm")
        self.margin.setValue(settings.ultracentral_margin_mm)
        self.margin.setToolTip("A lung lesion this close (surface to surface) to one of the structures "
                               "below is flagged ultracentral")
        self.structure_boxes: dict[str, QCheckBox] = {}
        boxes = QVBoxLayout()
        boxes.setSpacing(2)
        for role in ROLES:
            box = QCheckBox(role.replace("_", " "), self)
            box.setObjectName(f"ultracentral_{role}")
            box.setChecked(role in settings.ultracentral_structures)
            box.toggled.connect(self._update_ok)
            boxes.addWidget(box)
            self.structure_boxes[role] = box
        note = QLabel("Ultracentral has no consensus definition (e.g. a PTV touching the proximal bronchial "
                      "tree or trachea). Central lung stays within "
                      f"{settings.central_margin_mm:g} mm of the proximal bronchial tree (Timmerman 2006)."
                      + (f"<br>Kept in {where} (also read by <i>oligoplan check</i>)." if where else ""), self)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555555; font-size: 10px;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._restore_defaults)
        form = QFormLayout(self)
        form.addRow("Ultracentral margin", self.margin)
        form.addRow("Ultracentral structures", boxes)
        form.addRow(note)
        form.addRow(self.buttons)
        self._update_ok()

    def settings(self) -> OarSettings:
        """The settings as edited (the other OarSettings fields unchanged)."""
        roles = tuple(r for r, box in self.structure_boxes.items() if box.isChecked())
        return replace(self._base, ultracentral_margin_mm=float(self.margin.value()), ultracentral_structures=roles)

    def _restore_defaults(self) -> None:
        default = OarSettings()
        self.margin.setValue(default.ultracentral_margin_mm)
        for role, box in self.structure_boxes.items():
            box.setChecked(role in default.ultracentral_structures)

    def _update_ok(self) -> None:
        ok = any(box.isChecked() for box in self.structure_boxes.values())
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setToolTip(
            "" if ok else "Choose at least one structure")
