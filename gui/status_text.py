"""The texts of the window's status bar: what lies under the mouse, and the warnings of the images shown."""

from __future__ import annotations

from core.volume import ValueUnit, Volume
from gui.viewer_model import Probe


def format_probe(probe: Probe | None) -> str:
    """Status-bar text for what lies under the mouse."""
    if probe is None:
        return ""
    x, y, z = probe.position_mm
    parts = [f"x {x:.1f}  y {y:.1f}  z {z:.1f} mm (LPS)"]
    for r in probe.readings:
        if r.value is None:
            parts.append(f"{r.label} outside")
        elif r.unit is ValueUnit.HU:
            parts.append(f"{r.label} {r.value:.0f} HU")
        else:
            parts.append(f"{r.label} {r.value:.2f} {r.unit}".rstrip())
    return "   |   ".join(parts)


def volume_warnings(base: Volume | None, overlay: Volume | None) -> list[str]:
    """The loader's warnings of the shown volumes, and why a PET is not in SUV."""
    lines: list[str] = []
    for vol in (base, overlay):
        if vol is None:
            continue
        name = vol.modality.value
        lines.extend(f"{name}: {w}" for w in vol.warnings)
        if vol.suv_unavailable:
            lines.append(f"{name} shown as stored ({vol.unit or 'no unit'}), not SUV: {vol.suv_unavailable}")
    return lines
