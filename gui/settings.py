"""Every user setting, declared once (key, type, default), stored with QSettings.

No global singleton: the main window receives a :class:`Settings`; tests give
it one backed by a temporary INI file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from core.segment import SegmentParams

ORGANIZATION = "OligoPlan"
APPLICATION = "OligoPlan"
_SEGMENT = SegmentParams()  # the click tool's defaults live in core


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    doc: str = ""


LAST_FOLDER = Setting("paths/last_folder", str, "", "Folder last opened with File > Open folder")
WINDOW_GEOMETRY = Setting("window/geometry", QByteArray, QByteArray(), "Main window geometry")
WINDOW_STATE = Setting("window/state", QByteArray, QByteArray(), "Docks and toolbars")
VIEW_LAYOUT = Setting("view/layout", str, "axial+2",
                      "Layout of the views: axial+2, 1x3, 2x2 (with the PET MIP) or single (one view maximised)")
OVERLAY_OPACITY = Setting("overlay/opacity_percent", int, 50, "PET overlay opacity, 0-100 %")
OVERLAY_COLORMAP = Setting("overlay/colormap", str, "hot iron", "PET colour map (over CT and alone)")
LAST_CASE_FOLDER = Setting("paths/last_case_folder", str, "", "Folder of the case file last opened or saved")
BRUSH_RADIUS_MM = Setting("tools/brush_radius_mm", float, 5.0, "Radius of the brush and eraser, mm")
SEGMENT_PET_METHOD = Setting("tools/segment_pet_method", str, _SEGMENT.pet_method.value,
                             "Click-segment on PET: adaptive (size-corrected % of SUVmax) or fixed % of SUVmax")
SEGMENT_PET_FWHM_MM = Setting("tools/segment_pet_fwhm_mm", float, _SEGMENT.pet_fwhm_mm,
                              "Click-segment, adaptive PET: the scanner's reconstructed resolution, FWHM mm")
SEGMENT_PET_FIXED_PERCENT = Setting("tools/segment_pet_fixed_percent", float, 100.0 * _SEGMENT.pet_fraction,
                                    "Click-segment, fixed PET: % of SUVmax (of the uptake above the background)")
AUTOSAVE_DELAY_MS = Setting("case/autosave_delay_ms", int, 2000,
                            "Quiet time after an edit before the recovery file is written, ms")
USER_NAME = Setting("user/name", str, "", "Your name, recorded with every change and sign-off")
USER_ROLE = Setting("user/role", str, "", "Your role (medical physicist, radiation oncologist, trainee, other)")
LESION_COLUMNS_HIDDEN = Setting("lesions/hidden_columns", str, "",
                               "Lesion-table columns unticked in the header's context menu (comma-separated)")
LESION_COLUMNS_WANTED = Setting("lesions/wanted_columns", str, "",
                                "Lesion-table columns ticked in the header's context menu: shown first at any width")

RULE_SETS = Setting("rules/selected", str, "sabr-comet,estro-astro-2020",
                    "Rule sets shown in the verdict panel (comma-separated ids)")
SYNC_CUTOFF_MONTHS = Setting("rules/synchronous_cutoff_months", float, 6.0,
                             "ESTRO-EORTC synchronous/metachronous cut-off, months")
LAST_SUMMARY_FOLDER = Setting("paths/last_summary_folder", str, "", "Folder the last summary was written to")
SUMMARY_ANONYMISE = Setting("summary/anonymise", bool, False,
                            "Write the candidacy summary without patient name, ID and UIDs")

ALL_SETTINGS: tuple[Setting, ...] = (
    LAST_FOLDER,
    WINDOW_GEOMETRY,
    WINDOW_STATE,
    VIEW_LAYOUT,
    OVERLAY_OPACITY,
    OVERLAY_COLORMAP,
    LAST_CASE_FOLDER,
    BRUSH_RADIUS_MM,
    SEGMENT_PET_METHOD,
    SEGMENT_PET_FWHM_MM,
    SEGMENT_PET_FIXED_PERCENT,
    AUTOSAVE_DELAY_MS,
    USER_NAME,
    USER_ROLE,
    LESION_COLUMNS_HIDDEN,
    LESION_COLUMNS_WANTED,
    RULE_SETS,
    SYNC_CUTOFF_MONTHS,
    LAST_SUMMARY_FOLDER,
    SUMMARY_ANONYMISE,
)


class Settings:
    """Typed access to a QSettings store.

    Parameters
    ----------
    store
        The QSettings to use; default: the user's native settings for OligoPlan.
    """

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    @classmethod
    def in_file(cls, path: str | Path) -> "Settings":
        """Settings kept in one INI file (tests, portable installs)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def get(self, setting: Setting) -> Any:
        value = self.store.value(setting.key, setting.default)
        if value is None:
            return setting.default
        if setting.type is QByteArray:
            return value if isinstance(value, QByteArray) else QByteArray(value)
        if setting.type is bool and isinstance(value, str):  # INI files keep "true"/"false"
            return value.strip().lower() in ("true", "1", "yes")
        try:
            return setting.type(value)
        except (TypeError, ValueError):
            return setting.default

    def set(self, setting: Setting, value: Any) -> None:
        if not isinstance(value, setting.type):
            raise TypeError(
                f"setting {setting.key!r} takes {setting.type.__name__}; got {type(value).__name__}"
            )
        self.store.setValue(setting.key, value)

    def sync(self) -> None:
        self.store.sync()
