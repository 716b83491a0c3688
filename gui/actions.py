"""Every QAction of the main window, with its shortcut and object name, made here.

Menus and toolbars only refer to these actions; the help text is generated
from them, so shortcuts are written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from gui.render import WINDOW_PRESETS, WindowPreset

MOUSE_HELP: tuple[tuple[str, str], ...] = (
    ("Left click / drag", "Move the crosshair; the other views follow"),
    ("Right drag", "Window/level: left-right = width, up-down = level"),
    ("Wheel, Up/Down arrows", "Previous / next slice"),
    ("PageUp / PageDown", "10 slices back / forward"),
    ("Ctrl+wheel, Ctrl+right drag", "Zoom"),
    ("Middle drag, Shift+left drag", "Pan"),
    ("Double-click a series", "Open it (a PET over a loaded CT of the same patient opens as overlay)"),
)


@dataclass
class Actions:
    open_folder: QAction
    cancel_task: QAction
    quit: QAction
    reset_view: QAction
    toggle_overlay: QAction
    show_help: QAction
    about: QAction
    presets: tuple[QAction, ...]

    def all(self) -> list[QAction]:
        out: list[QAction] = []
        for f in fields(self):
            value = getattr(self, f.name)
            out.extend(value if isinstance(value, tuple) else (value,))
        return out


def _action(parent: QWidget, name: str, text: str, shortcut: str | QKeySequence.StandardKey | None,
            tip: str, *, checkable: bool = False) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.setCheckable(checkable)
    return action


def make_actions(parent: QWidget) -> Actions:
    """Create every action, parented to ``parent`` (the main window)."""
    presets = []
    for preset in WINDOW_PRESETS:
        action = _action(
            parent, f"preset_{preset.key}", f"{preset.name}",
            preset.key, _preset_tip(preset),
        )
        action.setData(preset.key)
        presets.append(action)
    toggle = _action(parent, "toggle_overlay", "Show PET &overlay", "O",
                     "Show or hide the PET fused over the CT", checkable=True)
    toggle.setChecked(True)
    return Actions(
        open_folder=_action(parent, "open_folder", "&Open folder…", "Ctrl+O",
                            "Scan a folder (recursively) for DICOM series"),
        cancel_task=_action(parent, "cancel_task", "&Cancel loading", "Esc",
                            "Stop the scan or load in progress"),
        quit=_action(parent, "quit", "&Quit", "Ctrl+Q", "Close OligoPlan"),
        reset_view=_action(parent, "reset_view", "&Reset zoom and pan", "Ctrl+0",
                           "Fit the images to the views again"),
        toggle_overlay=toggle,
        show_help=_action(parent, "show_help", "&Mouse and keyboard…", "F1",
                          "How to move through the images"),
        about=_action(parent, "about", "&About OligoPlan…", None, "Version and intended use"),
        presets=tuple(presets),
    )


def _preset_tip(preset: WindowPreset) -> str:
    w = preset.window
    if preset.unit == "HU":
        return f"Window {preset.name}: W {w.width:g} / L {w.level:g} HU"
    return f"Window {preset.name}: {w.low:g}–{w.high:g} {preset.unit}"


def help_text(actions: Actions) -> str:
    """Mouse conventions and every shortcut, as HTML for the help dialog."""
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in MOUSE_HELP)
    keys = "".join(
        f"<tr><td><b>{a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}</b></td>"
        f"<td>{a.text().replace('&', '').rstrip('…')} — {a.statusTip()}</td></tr>"
        for a in actions.all()
        if not a.shortcut().isEmpty()
    )
    return (
        "<h3>Mouse</h3><table cellspacing=6>" + rows + "</table>"
        "<h3>Keyboard</h3><table cellspacing=6>" + keys + "</table>"
    )
