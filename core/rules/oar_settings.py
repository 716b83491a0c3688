"""The organ-at-risk flag settings (core.rules.oar.OarSettings) kept in the user's config folder.

One file, ``oar_flags.json`` in :func:`core.appdirs.config_dir` (``OLIGOPLAN_CONFIG_DIR``
overrides it), read by `oligoplan check` / `oligoplan export` and by the GUI,
written by the GUI's "OAR flag settings" dialog. Every key is optional; a key
left out keeps its default::

    {
      "ultracentral_margin_mm": 5,
      "ultracentral_structures": ["proximal_bronchial_tree", "trachea"],
      "central_margin_mm": 20,
      "cord_min_mm": 3,
      "brain_size_limit_mm": 30
    }

Structures are roles (:data:`core.rules.oar.ROLES`), recognised from the
structure names of the RTSTRUCT. A bad file raises
:class:`core.errors.OarSettingsError` naming the file, the key, the value
found and what is expected; a missing file means the defaults.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from core.appdirs import config_dir
from core.errors import OarSettingsError
from core.rules.oar import ROLES, OarSettings

FILE_NAME = "oar_flags.json"
_STRUCTURE_KEYS = ("central_structures", "ultracentral_structures")
#: The range of each distance (mm) a file may hold; the GUI dialog offers the same.
LIMITS_MM = {"central_margin_mm": (0.0, 100.0), "ultracentral_margin_mm": (0.0, 100.0),
             "cord_min_mm": (0.0, 50.0), "brain_size_limit_mm": (1.0, 200.0)}


def settings_path() -> Path:
    """Where the settings live: ``<config dir>/oar_flags.json``."""
    return config_dir() / FILE_NAME


def oar_settings_from_json(doc, where: str = FILE_NAME) -> OarSettings:
    """Validated settings from a JSON object (OarSettingsError names ``where``, the key and the problem)."""
    if not isinstance(doc, dict):
        raise OarSettingsError(f"{where}: expected an object such as {{\"ultracentral_margin_mm\": 5}}, "
                               f"found {type(doc).__name__}")
    known = {f.name for f in fields(OarSettings)}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise OarSettingsError(f"{where}: unknown key(s) {', '.join(unknown)}; expected some of "
                               f"{', '.join(sorted(known))}")
    values = {}
    for key, value in doc.items():
        if key in _STRUCTURE_KEYS:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise OarSettingsError(f"{where}: {key}: expected a non-empty list of structure roles, "
                                       f"found {value!r}")
            bad = [v for v in value if v not in ROLES]
            if bad:
                raise OarSettingsError(f"{where}: {key}: unknown structure role(s) {', '.join(bad)}; "
                                       f"expected some of {', '.join(ROLES)}")
            values[key] = tuple(dict.fromkeys(value))
        else:
            lo, hi = LIMITS_MM[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise OarSettingsError(f"{where}: {key}: expected a number of mm from {lo:g} to {hi:g}, "
                                       f"found {value!r}")
            values[key] = float(value)
    return OarSettings(**values)


def oar_settings_to_json(settings: OarSettings) -> dict:
    doc = asdict(settings)
    for key in _STRUCTURE_KEYS:
        doc[key] = list(doc[key])
    return doc


def load_oar_settings(path: str | Path | None = None) -> OarSettings:
    """The user's settings (the defaults when the file does not exist)."""
    path = Path(path) if path is not None else settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return OarSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise OarSettingsError(f"{path}: cannot be read ({exc}); fix or delete it to use the defaults") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OarSettingsError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                               "fix or delete it to use the defaults") from None
    return oar_settings_from_json(doc, str(path))


def save_oar_settings(settings: OarSettings, path: str | Path | None = None) -> Path:
    """Write the settings atomically (validated first: what is written can be read back)."""
    from core.atomic_file import atomic_write_text

    doc = oar_settings_to_json(settings)
    oar_settings_from_json(doc, "the settings to save")
    path = Path(path) if path is not None else settings_path()
    try:
        atomic_write_text(path, json.dumps(doc, indent=2) + "\n")  # makes the folder when missing
    except OSError as exc:
        raise OarSettingsError(f"{path}: cannot be written ({exc}); check that the config folder can be "
                               "written to (OLIGOPLAN_CONFIG_DIR chooses another)") from None
    return path
