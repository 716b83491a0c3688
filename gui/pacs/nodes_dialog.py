"""Edit the PACS nodes and our own AE title / listen port (core.pacs.nodes, pacs.json)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.pacs.nodes import LocalAE, PacsNode, PacsSettings, save_settings
from gui.errors import error_boundary


def _port_box(name: str, value: int | None, parent: QWidget, optional: bool = False) -> QSpinBox:
    """A port 1-65535; ``optional``: 0 shows "not set" and means None."""
    box = QSpinBox(parent)
    box.setObjectName(name)
    box.setRange(0 if optional else 1, 65535)
    if optional:
        box.setSpecialValueText("not set")
    box.setValue(value or 0)
    return box


class NodesDialog(QDialog):
    """A list of nodes with a form for the selected one, and our own side; OK saves."""

    def __init__(self, settings: PacsSettings, settings_path: str | Path | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pacs_nodes_dialog")
        self.setWindowTitle("PACS nodes")
        self.settings = settings
        self.settings_path = settings_path
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.node_list = QListWidget(self)
        self.node_list.setObjectName("node_list")
        row.addWidget(self.node_list, 1)
        form_box = QGroupBox("Node", self)
        form = QFormLayout(form_box)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("node_name_edit")
        self.aet_edit = QLineEdit(self)
        self.aet_edit.setObjectName("node_aet_edit")
        self.aet_edit.setMaxLength(16)
        self.host_edit = QLineEdit(self)
        self.host_edit.setObjectName("node_host_edit")
        self.port_box = _port_box("node_port_box", 104, self)
        self.store_aet_edit = QLineEdit(self)
        self.store_aet_edit.setObjectName("node_store_aet_edit")
        self.store_aet_edit.setMaxLength(16)
        self.store_aet_edit.setPlaceholderText("same as the AE title")
        self.store_aet_edit.setToolTip("The AE title this PACS sends C-MOVE results from, if it is not its AE "
                                       "title; our storage SCP accepts deliveries from these two only")
        form.addRow("Name", self.name_edit)
        form.addRow("AE title", self.aet_edit)
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_box)
        form.addRow("Store AE title", self.store_aet_edit)
        buttons = QHBoxLayout()
        self.save_node_button = QPushButton("Add / update", self)
        self.save_node_button.setObjectName("save_node_button")
        self.remove_node_button = QPushButton("Remove", self)
        self.remove_node_button.setObjectName("remove_node_button")
        buttons.addWidget(self.save_node_button)
        buttons.addWidget(self.remove_node_button)
        form.addRow(buttons)
        row.addWidget(form_box, 2)
        layout.addLayout(row)
        local_box = QGroupBox("This workstation", self)
        local = QFormLayout(local_box)
        self.local_aet_edit = QLineEdit(settings.local.ae_title, self)
        self.local_aet_edit.setObjectName("local_aet_edit")
        self.local_aet_edit.setMaxLength(16)
        self.listen_port_box = _port_box("listen_port_box", settings.local.listen_port, self, optional=True)
        self.listen_port_box.setToolTip("Where the PACS sends C-MOVE results (also used when a PACS refuses "
                                        "C-GET); the PACS must list our AE title with this address and port")
        self.bind_edit = QLineEdit(settings.local.bind_address, self)
        self.bind_edit.setObjectName("bind_address_edit")
        self.bind_edit.setToolTip("The C-MOVE storage SCP listens on this address only, and only during a retrieve")
        local.addRow("Our AE title", self.local_aet_edit)
        local.addRow("Listen port (C-MOVE)", self.listen_port_box)
        local.addRow("Listen address", self.bind_edit)
        layout.addWidget(local_box)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        box.accepted.connect(self.save)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.node_list.currentTextChanged.connect(self._on_node_list_current_changed)
        self.save_node_button.clicked.connect(self.put_node)
        self.remove_node_button.clicked.connect(self.remove_node)
        self._refresh_list()

    def _refresh_list(self) -> None:
        self.node_list.clear()
        self.node_list.addItems([n.name for n in self.settings.nodes])

    def _on_node_list_current_changed(self, name: str) -> None:
        node = next((n for n in self.settings.nodes if n.name == name), None)
        if node is not None:
            self.name_edit.setText(node.name)
            self.aet_edit.setText(node.ae_title)
            self.host_edit.setText(node.host)
            self.port_box.setValue(node.port)
            self.store_aet_edit.setText(node.store_ae_title or "")

    def put_node(self) -> bool:
        """Add the node in the form, or update the one of the same name."""
        with error_boundary(self, "Saving the node"):
            node = PacsNode(self.name_edit.text(), self.aet_edit.text(), self.host_edit.text(), self.port_box.value(),
                            self.store_aet_edit.text().strip() or None)
            self.settings = self.settings.with_node(node)
            self._refresh_list()
            return True
        return False

    def remove_node(self) -> None:
        item = self.node_list.currentItem()
        if item is not None:
            self.settings = self.settings.without_node(item.text())
            self._refresh_list()

    def save(self) -> None:
        """Write the settings file and close; a wrong value keeps the dialog open with the reason."""
        with error_boundary(self, "Saving the PACS settings"):
            local = LocalAE(self.local_aet_edit.text(), self.listen_port_box.value() or None, self.bind_edit.text())
            self.settings = PacsSettings(local=local, nodes=self.settings.nodes)
            save_settings(self.settings, self.settings_path)
            self.accept()
