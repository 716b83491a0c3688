"""The export dialog (File > Export RTSTRUCT / SR, Rules > Write candidacy summary): where to
write, whether to anonymise, and, for an anonymised export, the same choices as
``oligoplan export --anonymise`` (core.export_privacy):

* the author written (empty: left out; the login or review name is never used silently);
* a review step for the case's free text (histology, other free-text facts, sign-off
  comments), shown in full: kept only when the user ticks that they reviewed it
  (``--keep-free-text``), left out otherwise;
* what happens anyway, in one line: generic lesion labels, dates shifted by one offset.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

NO_FREE_TEXT = "This case has no free text to review."


class ExportDialog(QDialog):
    """Where to write an export, and whether to anonymise it (and include the OARs).

    ``free_text``: (what, text) pairs of the case's free text (core.export_privacy.free_text_items),
    shown for review when the export is anonymised."""

    def __init__(self, title: str, folder: str, with_oars: bool, parent: QWidget | None = None,
                 free_text: list[tuple[str, str]] | None = None, with_case_dicom: bool = False):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.folder_edit = QLineEdit(folder, self)
        self.folder_edit.setObjectName("export_folder")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        self.anonymise_box = QCheckBox("Anonymise (DICOM PS3.15 basic profile; new UIDs)", self)
        self.anonymise_box.setObjectName("export_anonymise")
        self.oars_box = QCheckBox("Include the organs at risk shown in the structure list", self)
        self.oars_box.setObjectName("export_include_oars")
        self.oars_box.setVisible(with_oars)
        self.case_dicom_box = QCheckBox("Whole case as DICOM (facts, rule sets, review; summary PDF)", self)
        self.case_dicom_box.setToolTip("The SR also holds each lesion's OligoPlan values, the case facts, the rule "
                                       "sets chosen and the review state, and the candidacy summary is written as "
                                       "a DICOM Encapsulated PDF in the same study: `oligoplan open-dicom` "
                                       "rebuilds the case from them")
        self.case_dicom_box.setObjectName("export_case_dicom")
        self.case_dicom_box.setVisible(with_case_dicom)
        self._with_case_dicom = with_case_dicom
        self.anonymised = self._anonymised_group(free_text or [])
        self.anonymise_box.toggled.connect(self._update)
        form = QFormLayout(self)
        form.addRow("Folder", row)
        form.addRow(self.anonymise_box)
        form.addRow(self.anonymised)
        form.addRow(self.oars_box)
        form.addRow(self.case_dicom_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._update()

    def _anonymised_group(self, free_text: list[tuple[str, str]]) -> QGroupBox:
        box = QGroupBox("Anonymised export", self)
        box.setObjectName("export_anonymised")
        self.author_edit = QLineEdit(box)
        self.author_edit.setObjectName("export_author")
        self.author_edit.setPlaceholderText("left out")
        self.author_edit.setToolTip("The name written as author of an anonymised export; empty: no author")
        self.free_text_view = QPlainTextEdit(box)
        self.free_text_view.setObjectName("export_free_text")
        self.free_text_view.setReadOnly(True)
        self.free_text_view.setPlainText("\n".join(f"{what}: {text}" for what, text in free_text) or NO_FREE_TEXT)
        self.free_text_view.setMaximumHeight(90)
        self.keep_free_text_box = QCheckBox("Keep this free text: I have reviewed it and it identifies no one", box)
        self.keep_free_text_box.setObjectName("export_keep_free_text")
        self.keep_free_text_box.setEnabled(bool(free_text))
        fixed = QLabel("Always: no patient name, ID or birth date; lesion labels generic (“Liver 1”); every date "
                       "shifted by one offset for all files of the export. Unless kept, free text is left out.", box)
        fixed.setWordWrap(True)
        fixed.setObjectName("export_anonymised_note")
        form = QFormLayout(box)
        form.addRow("Author", self.author_edit)
        form.addRow("Free text", self.free_text_view)
        form.addRow(self.keep_free_text_box)
        form.addRow(fixed)
        return box

    def _update(self) -> None:
        self.anonymised.setEnabled(self.anonymise_box.isChecked())

    # ------------------------------------------------------------ choices
    def anonymise(self) -> bool:
        return self.anonymise_box.isChecked()

    def case_dicom(self) -> bool:
        """Write the whole case as DICOM (``oligoplan export --dicom``)."""
        return self._with_case_dicom and self.case_dicom_box.isChecked()

    def keep_free_text(self) -> bool:
        """The user reviewed the free text and keeps it (an anonymised export only)."""
        return self.anonymise() and self.keep_free_text_box.isEnabled() and self.keep_free_text_box.isChecked()

    def author(self) -> str:
        """The author of an anonymised export ("" = left out)."""
        return self.author_edit.text().strip()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
