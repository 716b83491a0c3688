"""Every QAction of the main window, with its shortcut and object name, made here.

Menus and toolbars only refer to these actions; the help text is generated
from them, so shortcuts are written down once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from gui.render import WINDOW_PRESETS, WindowPreset
from gui.view_grid import ViewLayout

MOUSE_HELP: tuple[tuple[str, str], ...] = (
    ("Left click / drag", "Move the crosshair; the other views follow"),
    ("Right drag", "Window/level: left-right = width, up-down = level"),
    ("Wheel, Up/Down arrows", "Previous / next slice"),
    ("PageUp / PageDown", "10 slices back / forward"),
    ("Ctrl+wheel, Ctrl+right drag", "Zoom"),
    ("Middle drag, Shift+left drag", "Pan"),
    ("Double-click a view (crosshair tool)", "Maximise it; another double-click puts the layout back"),
    ("Click on the PET MIP (View > Layout > 2 x 2)", "On a lesion's number: go to that lesion; elsewhere: to "
                                                     "the hottest voxel along that line of sight"),
    ("Ctrl+1 … Ctrl+6", "View > Layout: axial large, 1 x 3, 2 x 2 with the PET MIP, one view, CT | fused | PET, "
                        "compare with the prior study"),
    ("Ctrl+Alt+arrows, Ctrl+Alt+PageUp/PageDown", "Compare with prior: nudge the registration 1 mm in x/y, z"),
    ("Double-click a series", "Open it (a PET over a loaded CT of the same patient opens as overlay)"),
    ("Left click on a lesion (crosshair tool)", "Select it (its row in the lesion table too)"),
    ("Polygon tool", "Click the corners; double-click or Enter closes it, Backspace takes back a corner"),
    ("Freehand tool", "Draw with the left button held; releasing closes the outline"),
    ("Brush / eraser", "Paint with the left button held on the shown slice ([ and ] change the size)"),
    ("Click-segment tool", "Click a lesion: a dashed preview appears; Enter accepts, Esc rejects"),
    ("Drawing and a selected lesion", "Drawing adds to the selected lesion; with none selected "
                                      "(N) it makes a new one"),
)

#: (tool name, action name, menu text, shortcut, tip), in toolbar order
TOOLS: tuple[tuple[str, str, str, str, str], ...] = (
    ("navigate", "tool_navigate", "&Crosshair", "C",
     "Crosshair tool: click to move the views, click a lesion to select it"),
    ("point", "tool_point", "&Point marker", "P",
     "Place a point marker: a lesion counted before it is contoured"),
    ("polygon", "tool_polygon", "Poly&gon", "G",
     "Draw a polygon on the shown slice (any view)"),
    ("freehand", "tool_freehand", "&Freehand", "F", "Draw a freehand outline on the shown slice"),
    ("brush", "tool_brush", "&Brush", "B", "Paint voxels on the shown slice"),
    ("eraser", "tool_eraser", "&Eraser", "E", "Erase voxels of the selected lesion (of all lesions "
                                               "when none is selected)"),
    ("segment", "tool_segment", "Click-&segment", "S",
     "One click segments a lesion in 3D (adaptive PET threshold on a PET/CT, CT region growing otherwise)"),
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
    open_case: QAction
    open_case_dicom: QAction
    save_case: QAction
    save_case_as: QAction
    undo: QAction
    redo: QAction
    accept_edit: QAction
    delete_lesion: QAction
    cycle_treatable: QAction
    new_lesion: QAction
    confirm_site: QAction
    interpolate: QAction
    brush_smaller: QAction
    brush_larger: QAction
    tools: tuple[QAction, ...]
    tool_group: QActionGroup

    def all(self) -> list[QAction]:
        out: list[QAction] = []
        for f in fields(self):
            value = getattr(self, f.name)
            out.extend(a for a in (value if isinstance(value, tuple) else (value,)) if isinstance(a, QAction))
        return out

    def tool_action(self, name: str) -> QAction:
        return next(a for a in self.tools if a.data() == name)


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


def _fit_action(parent: QWidget) -> QAction:
    """Ctrl+0 anywhere (and Home while the views have the focus, see MainWindow): the whole series in
    each view again, zoom and pan undone. Home is not the action's own shortcut: as a window-wide
    shortcut it took the key from a focused slider or text field (the PET opacity's Home is 0 %)."""
    return _action(parent, "reset_view", "&Fit images to the views", "Ctrl+0",
                   "Fit the images to the views again (undo zoom and pan; Home in the views)")


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
    group = QActionGroup(parent)
    group.setExclusive(True)
    tools = []
    for name, object_name, text, key, tip in TOOLS:
        action = _action(parent, object_name, text, key, tip, checkable=True)
        action.setData(name)
        group.addAction(action)
        tools.append(action)
    tools[0].setChecked(True)
    accept = _action(parent, "accept_edit", "&Accept", "Return",
                     "Accept the segmentation preview, or close the polygon being drawn")
    accept.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
    redo = _action(parent, "redo", "&Redo", "Ctrl+Shift+Z", "Redo the last edit undone")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    delete = _action(parent, "delete_lesion", "&Delete lesion", "Del", "Delete the selected lesion")
    return Actions(
        open_folder=_action(parent, "open_folder", "&Open folder…", "Ctrl+O",
                            "Scan a folder (recursively) for DICOM series"),
        # Esc: one action for 'stop what is going on' (a load, a preview, a polygon)
        cancel_task=_action(parent, "cancel_task", "&Cancel", "Esc",
                            "Stop the scan or load in progress; reject the segmentation preview "
                            "or drop the outline being drawn"),
        quit=_action(parent, "quit", "&Quit", "Ctrl+Q", "Close OligoPlan"),
        reset_view=_fit_action(parent),
        toggle_overlay=toggle,
        show_help=_action(parent, "show_help", "&Mouse and keyboard…", "F1",
                          "How to move through the images"),
        about=_action(parent, "about", "&About OligoPlan…", None, "Version and intended use"),
        presets=tuple(presets),
        open_case=_action(parent, "open_case", "Open &case…", "Ctrl+Shift+O",
                          "Open a saved case file (lesions and the images they were drawn on)"),
        open_case_dicom=_action(parent, "open_case_dicom", "Open case from &DICOM…", None,
                                "Rebuild a case from its DICOM objects (the newest OligoPlan SR of a study and "
                                "its SEG) in a folder holding them and the images"),
        save_case=_action(parent, "save_case", "&Save case", "Ctrl+S", "Save the lesions to the case file"),
        save_case_as=_action(parent, "save_case_as", "Save case &as…", "Ctrl+Shift+S",
                             "Save the lesions to a new case file"),
        undo=_action(parent, "undo", "&Undo", "Ctrl+Z", "Undo the last edit"),
        redo=redo,
        accept_edit=accept,
        delete_lesion=delete,
        cycle_treatable=_action(parent, "cycle_treatable", "Selected lesion &treatable: next state", "T",
                                "Treatability of the selected lesion: not assessed -> yes -> no -> not "
                                "assessed (as one click on its Treat box in the lesion table)"),
        new_lesion=_action(parent, "new_lesion", "&New lesion", "N",
                           "Deselect: the next outline or brush stroke starts a new lesion"),
        confirm_site=_action(parent, "confirm_site", "Confirm proposed &site", "Y",
                             "Confirm the site and side proposed for the selected lesion (from an organ "
                             "structure or the CT); choose another in the lesion table's Site column"),
        interpolate=_action(parent, "interpolate", "&Interpolate between slices", "I",
                            "Fill the slices between the contoured slices of the selected lesion "
                            "(in the plane last drawn on)"),
        brush_smaller=_action(parent, "brush_smaller", "Brush s&maller", "[", "Make the brush smaller"),
        brush_larger=_action(parent, "brush_larger", "Brush &larger", "]", "Make the brush larger"),
        tools=tuple(tools),
        tool_group=group,
    )


def _preset_tip(preset: WindowPreset) -> str:
    w = preset.window
    if w is None:  # an MR preset: worked out from the MR shown
        lo, hi = preset.percentiles_pct
        return f"Window {preset.name}: the {lo:g}th to {hi:g}th percentile of the MR's voxels in the body"
    if preset.unit == "HU":
        return f"Window {preset.name}: W {w.width:g} / L {w.level:g} HU"
    return f"Window {preset.name}: {w.low:g}–{w.high:g} {preset.unit}"


def help_text(actions: "Actions | Iterable[QAction]") -> str:
    """Mouse conventions and every shortcut, as HTML for the help dialog.

    ``actions`` is the main window's :class:`Actions` or any list of actions
    (the window passes every action it holds, the Review, Practice, rules and
    PACS ones included)."""
    listed = actions.all() if isinstance(actions, Actions) else list(actions)
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in MOUSE_HELP)
    keys = "".join(
        f"<tr><td><b>{_keys(a)}</b></td>"
        f"<td>{a.text().replace('&', '').rstrip('…')} — {a.statusTip()}</td></tr>"
        for a in listed
        if not a.shortcut().isEmpty()
    )
    return (
        "<h3>Mouse</h3><table cellspacing=6>" + rows + "</table>"
        "<h3>Keyboard</h3><table cellspacing=6>" + keys + "</table>"
    )


def _keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


@dataclass
class ReviewActions:
    """Review, audit and practice actions (the Review and Practice menus)."""

    set_user: QAction
    sign_off: QAction
    show_history: QAction
    compare_sr: QAction
    lesion_map: QAction
    start_practice: QAction
    score_practice: QAction
    end_practice: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def make_review_actions(parent: QWidget) -> ReviewActions:
    """Create the review and practice actions, parented to the main window."""
    return ReviewActions(
        set_user=_action(parent, "set_user", "Your &name and role…", None,
                         "Who you are: recorded with every change and sign-off (kept in the settings)"),
        sign_off=_action(parent, "sign_off", "&Sign off…", "Ctrl+Shift+R",
                         "Mark the case reviewed, then approved, with your name, role and a comment"),
        show_history=_action(parent, "show_history", "&History", "Ctrl+H",
                             "Show the audit trail: every change and sign-off, who and when"),
        compare_sr=_action(parent, "compare_sr", "&Compare with DICOM SR…", None,
                           "Compare the audit trail with the OligoPlan SR exported from this case (a folder, "
                           "a file or the PACS): entries, sign-offs and lesions removed or changed since"),
        lesion_map=_action(parent, "lesion_map", "Lesion &map…", "Ctrl+M",
                           "Every lesion numbered on coronal and sagittal MIPs, with thumbnails; "
                           "click one to go there"),
        start_practice=_action(parent, "start_practice", "&Practise on a case…", None,
                               "Open an expert's case (or RTSTRUCT) with its lesions hidden and contour it yourself"),
        score_practice=_action(parent, "score_practice", "S&core", "Ctrl+Shift+Return",
                               "Reveal the reference lesions and score yours against them"),
        end_practice=_action(parent, "end_practice", "&End practice", None,
                             "Leave practice mode (the reference is hidden again)"),
    )


@dataclass
class StructureActions:
    """DICOM-RT actions: File > Import RTSTRUCT / Export RTSTRUCT / Export SR, and the structure list."""

    import_rtstruct: QAction
    export_rtstruct: QAction
    export_sr: QAction
    structure_to_lesion: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def make_structure_actions(parent: QWidget) -> StructureActions:
    """Create the DICOM-RT actions, parented to the main window."""
    return StructureActions(
        import_rtstruct=_action(parent, "import_rtstruct", "&Import RTSTRUCT…", "Ctrl+I",
                                "Show the structures of an RT Structure Set drawn on the images shown"),
        export_rtstruct=_action(parent, "export_rtstruct", "Export &RTSTRUCT…", "Ctrl+Shift+E",
                                "Write the lesions (and the organs at risk) as an RT Structure Set, validated first"),
        export_sr=_action(parent, "export_sr", "Export S&R…", None,
                          "Write the lesion measurements as a DICOM SR measurement report (TID 1500)"),
        structure_to_lesion=_action(parent, "structure_to_lesion", "Make &lesion from structure", None,
                                    "Turn the selected imported target (GTV) into a lesion (undoable)"),
    )


@dataclass
class RulesActions:
    """Rule engine actions: the candidacy summary export and the case-facts form."""

    export_summary: QAction
    edit_facts: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def make_rules_actions(parent: QWidget) -> RulesActions:
    """Create the rule engine actions, parented to the main window."""
    return RulesActions(
        export_summary=_action(parent, "export_summary", "Export candidacy &summary…", "Ctrl+Shift+P",
                               "Write the SBRT candidacy summary (PDF, JSON, CSV) of the rule sets shown"),
        edit_facts=_action(parent, "edit_facts", "Case &facts", "Ctrl+Shift+F",
                           "Show the case facts the rule sets and the classification need"),
    )


@dataclass
class PacsActions:
    """Hospital PACS: the query/retrieve dialog, sending files or folders, sending the case."""

    query_retrieve: QAction
    send_folder: QAction
    send_case: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def make_pacs_actions(parent: QWidget) -> PacsActions:
    """Create the PACS actions, parented to the main window."""
    return PacsActions(
        query_retrieve=_action(parent, "pacs_query_retrieve", "&Query / retrieve from PACS…", "Ctrl+Shift+D",
                               "Search the hospital PACS, retrieve a study into the local cache and open it"),
        send_folder=_action(parent, "pacs_send", "Send to PAC&S…", None,
                            "Send a folder of DICOM files (e.g. an RTSTRUCT or SR export) to a PACS"),
        send_case=_action(parent, "pacs_send_case", "Send cas&e to PACS…", None,
                          "Send the case (SEG, SR, summary PDF) and the images the PACS lacks, as a new version"),
    )


@dataclass
class CompareActions:
    """File > Compare with prior: open the prior study three ways, close it; the nudge keys (issue 17)."""

    open_scanned: QAction
    open_folder: QAction
    open_case: QAction
    open_pacs: QAction
    close: QAction
    nudges: tuple[QAction, ...]  # x+, x-, y+, y-, z+, z- (1 mm); each action's data() is (axis, mm)

    def menu_actions(self) -> list[QAction | None]:
        """The submenu's entries (None: a separator)."""
        return [self.open_scanned, self.open_folder, self.open_case, self.open_pacs, None, self.close]

    def all(self) -> list[QAction]:
        return [self.open_scanned, self.open_folder, self.open_case, self.open_pacs, self.close, *self.nudges]


#: (key, axis, mm) of the nudge shortcuts Ctrl+Alt+key: arrows move x (right to left) and y (front to back)
#: as the axial view shows them, PageUp/PageDown move z (feet to head)
NUDGE_KEYS = (("Right", 0, 1.0), ("Left", 0, -1.0), ("Down", 1, 1.0), ("Up", 1, -1.0),
              ("PgUp", 2, 1.0), ("PgDown", 2, -1.0))


def make_compare_actions(parent: QWidget) -> CompareActions:
    nudges = []
    for key, axis, mm in NUDGE_KEYS:
        name = "xyz"[axis]
        action = _action(parent, f"compare_nudge_{name}_{'plus' if mm > 0 else 'minus'}",
                         f"Nudge the prior {name} {mm:+.0f} mm", f"Ctrl+Alt+{key}",
                         "Compare with prior: move the link to the prior by 1 mm (a user adjustment, audited)")
        action.setData((axis, mm))
        action.setEnabled(False)
        nudges.append(action)
    close = _action(parent, "compare_close", "&Close the prior study", None, "End the comparison with the prior")
    close.setEnabled(False)
    return CompareActions(
        open_scanned=_action(parent, "compare_open_scanned", "&Earlier study in the open folder", None,
                             "The folder open now holds an earlier study of this patient (its own dated group "
                             "in the Series panel): open it as the prior"),
        open_folder=_action(parent, "compare_open_folder", "Prior study from a &folder…", None,
                            "Open an earlier study of this patient beside the current one"),
        open_case=_action(parent, "compare_open_case", "Prior &case file (earlier visit)…", None,
                          "Open the earlier visit's case: its images beside the current ones, its lesions "
                          "carried over as proposals"),
        open_pacs=_action(parent, "compare_open_pacs", "Prior study from the &PACS…", None,
                          "Query / retrieve an earlier study; the one retrieved opens as the prior"),
        close=close,
        nudges=tuple(nudges),
    )


@dataclass
class LayoutActions:
    """View > Layout (one checked at a time) and the folding of the side panels."""

    layouts: tuple[QAction, ...]
    layout_group: QActionGroup
    fold_panels: QAction

    def all(self) -> list[QAction]:
        return [*self.layouts, self.fold_panels]

    def layout_action(self, value: str) -> QAction:
        return next(a for a in self.layouts if a.data() == value)


def make_layout_actions(parent: QWidget) -> LayoutActions:
    group = QActionGroup(parent)
    group.setExclusive(True)
    layouts = []
    for n, layout in enumerate(ViewLayout, start=1):
        action = _action(parent, f"layout_{layout.name.lower()}", layout.title, f"Ctrl+{n}",
                         f"Views: {layout.title.replace('&', '')}", checkable=True)
        action.setData(layout.value)
        group.addAction(action)
        layouts.append(action)
    fold = _action(parent, "fold_panels", "Fold side &panels", "F9",
                   "Fold every side panel into the slim bar at the right edge (the images get the width), "
                   "or unfold them again")
    return LayoutActions(layouts=tuple(layouts), layout_group=group, fold_panels=fold)
