"""Where OligoPlan keeps its files on this platform: user data and user config.

``OLIGOPLAN_DATA_DIR`` and ``OLIGOPLAN_CONFIG_DIR`` override the platform
defaults (tests, portable installs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "OligoPlan"


def data_dir() -> Path:
    """The user data directory: recovery files, the PACS cache.

    ``%LOCALAPPDATA%\\OligoPlan`` on Windows, ``~/Library/Application Support/OligoPlan``
    on macOS, ``$XDG_DATA_HOME/OligoPlan`` (``~/.local/share/OligoPlan``) elsewhere.
    """
    base = os.environ.get("OLIGOPLAN_DATA_DIR")
    if base:
        return Path(base)
    if os.name == "nt":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return root / APP_NAME


def config_dir() -> Path:
    """The user configuration directory: settings files kept outside Qt (PACS nodes).

    ``%APPDATA%\\OligoPlan`` on Windows, ``~/Library/Preferences/OligoPlan`` on macOS,
    ``$XDG_CONFIG_HOME/OligoPlan`` (``~/.config/OligoPlan``) elsewhere.
    """
    base = os.environ.get("OLIGOPLAN_CONFIG_DIR")
    if base:
        return Path(base)
    if os.name == "nt":
        root = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Preferences"
    else:
        root = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return root / APP_NAME
