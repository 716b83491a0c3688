"""Display conventions shared by the window and every picture OligoPlan writes (PDF, scorecard,
lesion map): the colours of verdicts and criterion statuses, and the CT windows.

These are conventions (how a result or a grey value is shown), not clinical thresholds; they live
here once so that the verdict panel and the summary PDF, and the viewer's window presets and the
key images, never disagree.
"""

from __future__ import annotations

from core.rules.outcome import CriterionStatus, Verdict

# ------------------------------------------------------------------ verdicts and statuses
# (keyed by the Enums; a StrEnum key also finds its JSON word: VERDICT_COLOURS["eligible"])
#: strong colours of the verdicts (white text on them: the PDF's verdict badges)
VERDICT_COLOURS = {Verdict.ELIGIBLE: "#2e7d32", Verdict.NOT_ELIGIBLE: "#c62828", Verdict.UNDETERMINED: "#e65100"}
#: light tints of the same verdicts (dark text on them: the verdict panel's rows)
VERDICT_TINTS = {Verdict.ELIGIBLE: "#c8e6c9", Verdict.NOT_ELIGIBLE: "#ffcdd2", Verdict.UNDETERMINED: "#ffe0b2"}
#: a criterion's status word (text on white): met, not met, not known
STATUS_COLOURS = {CriterionStatus.PASS: "#2e7d32", CriterionStatus.FAIL: "#c62828",
                  CriterionStatus.UNKNOWN: "#e65100"}
#: anything unknown (a fact, a criterion, a row of the lesion table) is written in this colour
UNKNOWN_COLOUR = STATUS_COLOURS[CriterionStatus.UNKNOWN]

# ------------------------------------------------------------------ CT windows (width, level) in HU
LUNG_WINDOW = (1500.0, -600.0)
SOFT_TISSUE_WINDOW = (400.0, 40.0)
LIVER_WINDOW = (150.0, 60.0)
#: W1800/L400 (-500 to 1300 HU): the bone window of the viewer's preset, so a key image in the PDF,
#: the scorecard or the lesion map shows bone as the user saw it on screen; it keeps cortex and
#: sclerotic metastases apart better than W1500/L300 (whose top, 1050 HU, saturates dense cortex).
#: W2000/L500 is also used clinically and shows little difference at this size.
BONE_WINDOW = (1800.0, 400.0)
BRAIN_WINDOW = (80.0, 40.0)
#: (low, high) HU of a CT maximum-intensity projection: bone and contrast stand out of soft tissue
CT_MIP_RANGE = (-200.0, 1300.0)
#: the window of a lesion's key image by its site (soft tissue for the others)
SITE_WINDOWS = {"lung": LUNG_WINDOW, "bone": BONE_WINDOW}

# ------------------------------------------------------------------ other images
#: (low, high) SUV of a PET: the viewer's "PET SUV 0-10" preset
PET_SUV_RANGE = (0.0, 10.0)
#: the (low, high) percentiles of the pixels shown that scale an image without a fixed scale (MR,
#: PET without SUV): the viewer's "MR auto" preset
AUTO_PERCENTILES = (1.0, 99.5)


def window_range(window: tuple[float, float]) -> tuple[float, float]:
    """(low, high) HU of a (width, level) window."""
    width, level = window
    return level - width / 2.0, level + width / 2.0


def site_window(site: str) -> tuple[float, float]:
    """The (width, level) window a lesion of ``site`` ('lung', 'bone', ...) is shown in."""
    return SITE_WINDOWS.get(str(site), SOFT_TISSUE_WINDOW)


def is_suv_unit(unit: str) -> bool:
    """A PET in standardised uptake values (SUVbw, SUVlbm, SUL...)."""
    return str(unit).upper().startswith(("SUV", "SUL"))


def picture_range(unit: str, site: str, pixels) -> tuple[float, float]:
    """(low, high) of a lesion's picture (a key image, thumbnail or crop) in its image's own unit:
    a CT (HU) in the window of the lesion's site, a PET in SUV over 0-10, anything else (MR, a PET
    without SUV) from the 1st to the 99.5th percentile of the pixels shown. A CT window on an MR or
    a PET turned the whole picture one flat grey."""
    if unit == "HU":
        return window_range(site_window(site))
    if is_suv_unit(unit):
        return PET_SUV_RANGE
    import numpy as np

    values = np.asarray(pixels, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(values, AUTO_PERCENTILES))
    return lo, (hi if hi > lo else lo + 1.0)
