"""The OAR flag settings dialog's note says what the flags mean with the settings as configured,
and follows the user's edits of the structures and the margin."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox

from core.rules.oar import OarSettings
from gui.panels.oar_settings_dialog import OarSettingsDialog


def make_dialog(qtbot, settings: OarSettings, where: str = "") -> OarSettingsDialog:
    dialog = OarSettingsDialog(settings, where)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def click(qtbot, button) -> None:
    """A click on the check box's indicator (a stretched check box's centre may be past its label)."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def test_unticking_a_structure_takes_it_out_of_the_note(qtbot):
    dialog = make_dialog(qtbot, OarSettings(), where="/home/u/.config/oligoplan/oar_flags.json")
    note = dialog.note
    assert ("ultracentral within 5 mm of the proximal bronchial tree or trachea" in note.text())
    assert "central within 20 mm of the proximal bronchial tree (Timmerman 2006)" in note.text()

    click(qtbot, dialog.structure_boxes["proximal_bronchial_tree"])  # the user keeps only the trachea...
    click(qtbot, dialog.structure_boxes["oesophagus"])  # ... and adds the oesophagus
    assert dialog.settings().ultracentral_structures == ("trachea", "oesophagus")
    assert "ultracentral within 5 mm of the trachea or oesophagus." in note.text()
    assert "ultracentral within 5 mm of the proximal" not in note.text()

    dialog.margin.selectAll()
    qtbot.keyClicks(dialog.margin, "8")
    qtbot.keyClick(dialog.margin, Qt.Key.Key_Tab)
    assert dialog.margin.value() == 8.0
    assert "ultracentral within 8 mm of the trachea or oesophagus." in note.text()
    assert "Kept in /home/u/.config/oligoplan/oar_flags.json" in note.text()


def test_no_structure_ticked_the_note_asks_for_one(qtbot):
    dialog = make_dialog(qtbot, replace(OarSettings(), ultracentral_structures=("trachea",)))
    click(qtbot, dialog.structure_boxes["trachea"])
    assert dialog.settings().ultracentral_structures == ()
    assert "choose at least one structure" in dialog.note.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()


def test_central_structures_from_the_file_are_named_not_the_bronchial_tree(qtbot):
    settings = replace(OarSettings(), central_margin_mm=15.0, central_structures=("trachea", "heart"),
                       ultracentral_structures=("trachea",))
    dialog = make_dialog(qtbot, settings)
    text = dialog.note.text()
    assert "central within 15 mm of the trachea or heart" in text
    assert "bronchial" not in text  # configured away, so the note must not name it
    assert "not the Timmerman 2006 definition" in text and "oar_flags.json" in text

    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults), Qt.MouseButton.LeftButton)
    # Restore defaults resets what the dialog edits (ultracentral); central stays the file's
    assert "ultracentral within 5 mm of the proximal bronchial tree or trachea" in dialog.note.text()
    assert "central within 15 mm of the trachea or heart" in dialog.note.text()
