"""The "OAR flag settings" dialog: which structures and what margin make a lung lesion ultracentral.

There is no consensus definition of ultracentral, so both are the user's
choice. A view only: it edits a :class:`core.rules.oar.OarSettings` and gives
back a new one (:meth:`OarSettingsDialog.settings`); the verdicts controller saves it
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
from core.rules.oar_settings import FILE_NAME, LIMITS_MM


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
        self.margin.valueChanged.connect(self._update_note)
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
            box.toggled.connect(self._update_note)
            boxes.addWidget(box)
            self.structure_boxes[role] = box
        self._where = where
        self.note = QLabel(self)  # what the flags mean with the settings as edited (_update_note)
        self.note.setObjectName("oar_settings_note")
        note = self.note
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
        self._update_note()

    def settings(self) -> OarSettings:
        """The settings as edited (the other OarSettings fields unchanged)."""
        roles = tuple(r for r, box in self.structure_boxes.items() if box.isChecked())
        return replace(self._base, ultracentral_margin_mm=float(self.margin.value()), ultracentral_structures=roles)

    def _restore_defaults(self) -> None:
        default = OarSettings()
        self.margin.setValue(default.ultracentral_margin_mm)
        for role, box in self.structure_boxes.items():
            box.setChecked(role in default.ultracentral_structures)

    def _update_note(self) -> None:
        """The note says what the ultracentral and central flags mean with the settings as edited."""
        settings = self.settings()
        if settings.ultracentral_structures:
            ultra = (f"with these settings a lung lesion is ultracentral within {settings.ultracentral_margin_mm:g} mm "
                     f"of the {_roles(settings.ultracentral_structures)}")
        else:
            ultra = "choose at least one structure"
        default = OarSettings()
        if (settings.central_margin_mm, settings.central_structures) == (default.central_margin_mm,
                                                                         default.central_structures):
            source = "Timmerman 2006"
        else:
            source = f"set in {'the file below' if self._where else FILE_NAME}; not the Timmerman 2006 definition"
        self.note.setText(
            f"Ultracentral has no consensus definition: {ultra}. It is central within "
            f"{settings.central_margin_mm:g} mm of the {_roles(settings.central_structures)} ({source})."
            + (f"<br>Kept in {self._where} (also read by <i>oligoplan check</i>)." if self._where else ""))

    def _update_ok(self) -> None:
        ok = any(box.isChecked() for box in self.structure_boxes.values())
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setToolTip(
            "" if ok else "Choose at least one structure")


def _roles(roles) -> str:
    """('proximal_bronchial_tree', 'trachea') -> 'proximal bronchial tree or trachea'."""
    names = [r.replace("_", " ") for r in roles]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
