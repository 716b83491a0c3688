"""The trainee's scorecard as CSV and as PDF (matplotlib, no Qt).

The PDF has the figures on its first page (summary, then one row per
reference lesion and per extra lesion) and key images after it: for every
reference lesion and every extra one, axial, coronal and sagittal crops
through its centre with the reference and the trainee's contours in the
styles of core.practice.styles (the same as the window's feedback overlay,
with the same legend); a missed lesion is titled MISSED, an extra one EXTRA.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from core.atomic_file import atomic_open, atomic_write_text, writing_file
from core.contours import plane_spacing, slice_outlines
from core.display import picture_range
from core.lesion_map import lesion_centre_index, lesion_crop
from core.lesions import Lesion
from core.orientation import Plane, plane_layout
from core.practice.scoring import Scorecard
from core.practice.styles import EXTRA, LEGEND_NOTE, MISSED, PRACTICE_STYLES, REFERENCE, SHADE_ALPHA, TRAINEE
from core.volume import Volume

DISCLAIMER = "Training feedback only. Decision support, never a treatment order."


@dataclass(frozen=True)
class ScorecardRow:
    """One line of the lesion table: a match, a miss or an extra."""

    outcome: str  # "matched", "missed", "extra"
    reference: str
    trainee: str
    values: dict


def scorecard_rows(card: Scorecard, reference: Sequence[Lesion], trainee: Sequence[Lesion]) -> list[ScorecardRow]:
    """Reference lesions in their order (matched or missed), then the extras."""
    ref = {lesion.id: lesion for lesion in reference}
    tra = {lesion.id: lesion for lesion in trainee}
    rows = []
    for lesion_id in ref:
        m = card.match_for_reference(lesion_id)
        if m is None:
            rows.append(ScorecardRow("missed", lesion_id, "", {"reference_site": ref[lesion_id].site.value}))
        else:
            rows.append(ScorecardRow("matched", m.reference, m.trainee, m.to_json()))
    for lesion_id in card.extra:
        rows.append(ScorecardRow("extra", "", lesion_id, {"trainee_site": tra[lesion_id].site.value if lesion_id in tra else ""}))
    return rows


def summary_items(card: Scorecard) -> list[tuple[str, str]]:
    """(what, value) pairs of the headline figures, as shown in the gui and the PDF."""
    sens = "n/a (no reference lesions)" if card.sensitivity is None else f"{card.sensitivity:.0%}"
    verdicts = {True: "agree", False: "differ", None: "not compared"}[card.verdicts_agree]
    mean_dice = "n/a" if card.mean_dice is None else f"{card.mean_dice:.3f}"
    return [
        ("Lesions found", f"{len(card.matched)} of {card.n_reference}"),
        ("Sensitivity", sens),
        ("False positives", str(card.false_positives)),
        ("Mean Dice (matched contours)", mean_dice),
        ("Lesion count", f"reference {card.n_reference}, trainee {card.n_trainee}: "
                         f"{'agrees' if card.count_agrees else 'differs'}"),
        ("Per-organ counts", f"{'agree' if card.per_organ_counts_agree else 'differ'} (reference "
                             f"{_counts(card.reference_counts)}; trainee {_counts(card.trainee_counts)})"),
        ("Rule-set verdicts", verdicts + (f" ({card.verdicts_note})" if card.verdicts_note else "")),
    ]


# --------------------------------------------------------------------- CSV
CSV_COLUMNS = ("outcome", "reference", "trainee", "dice", "hd95_mm", "msd_mm", "volume_diff_pct",
               "reference_site", "trainee_site", "site_agrees", "matched_by", "centroid_distance_mm")


def scorecard_csv(card: Scorecard, reference: Sequence[Lesion], trainee: Sequence[Lesion]) -> str:
    """A (metric, value) block, an empty line, then one row per lesion."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    doc = card.to_json()
    for key in ("sensitivity", "false_positives", "count_agrees", "per_organ_counts_agree",
                "verdicts_agree", "mean_dice", "tolerance_mm"):
        writer.writerow([key, "" if doc[key] is None else doc[key]])
    writer.writerow(["reference_count", card.n_reference])
    writer.writerow(["trainee_count", card.n_trainee])
    writer.writerow([])
    writer.writerow(CSV_COLUMNS)
    for row in scorecard_rows(card, reference, trainee):
        values = {**row.values, "outcome": row.outcome, "reference": row.reference, "trainee": row.trainee}
        writer.writerow(["" if values.get(c) is None else values.get(c, "") for c in CSV_COLUMNS])
    return out.getvalue()


def write_scorecard_csv(path: str | Path, card: Scorecard, reference, trainee) -> Path:
    with writing_file(path, "scorecard CSV") as path:
        atomic_write_text(path, scorecard_csv(card, reference, trainee))
    return path


# --------------------------------------------------------------------- PDF
def write_scorecard_pdf(
    path: str | Path,
    card: Scorecard,
    reference: Sequence[Lesion],
    trainee: Sequence[Lesion],
    image: Volume,
    grids: Mapping[str, Volume],
    *,
    trainee_name: str = "",
    case_name: str = "",
) -> Path:
    """Write the scorecard PDF to ``path`` (atomically): figures, lesion table, key images on ``image``.

    Raises :class:`core.errors.FileWriteError` naming ``path`` when it cannot be written.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    rows = scorecard_rows(card, reference, trainee)
    ref = {lesion.id: lesion for lesion in reference}
    tra = {lesion.id: lesion for lesion in trainee}
    per_page = 4
    with writing_file(path, "scorecard PDF") as path, atomic_open(path) as fh, PdfPages(fh) as pdf:
        pdf.savefig(_summary_page(card, rows, trainee_name, case_name))
        for start in range(0, len(rows), per_page):
            pdf.savefig(_images_page(rows[start:start + per_page], ref, tra, image, grids,
                                     page=start // per_page + 2))
    return path


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.27, 11.69))  # A4 portrait, inches
    FigureCanvasAgg(fig)
    return fig


def _summary_page(card: Scorecard, rows: list[ScorecardRow], trainee_name: str, case_name: str):
    fig = _figure()
    fig.text(0.07, 0.95, "Contouring practice scorecard", fontsize=18, weight="bold")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    who = f"Trainee: {trainee_name or 'not named'}    Case: {case_name or 'unnamed'}    {stamp}"
    fig.text(0.07, 0.925, who, fontsize=9, color="#444444")
    y = 0.88
    for what, value in summary_items(card):
        fig.text(0.07, y, what, fontsize=10, weight="bold")
        fig.text(0.38, y, value, fontsize=10, wrap=True)
        y -= 0.028
    ax = fig.add_axes([0.05, 0.08, 0.9, y - 0.1])
    ax.axis("off")
    header = ["", "Reference", "Trainee", "Dice", "HD95 mm", "MSD mm", "Vol. diff", "Site"]
    cells, colours = [], []
    for row in rows:
        v = row.values
        if row.outcome == "matched":
            site = v["reference_site"] if v["site_agrees"] else f"{v['reference_site']} / {v['trainee_site']}"
            cells.append(["found", row.reference, row.trainee, _f(v["dice"], ".3f"), _f(v["hd95_mm"], ".1f"),
                          _f(v["msd_mm"], ".1f"), _f(v["volume_diff_pct"], "+.0f", "%"), site])
            colours.append("#ffffff" if v["site_agrees"] else "#fff2cc")
        elif row.outcome == "missed":
            cells.append(["MISSED", row.reference, "", "", "", "", "", v.get("reference_site", "")])
            colours.append("#f8d0d0")
        else:
            cells.append(["EXTRA", "", row.trainee, "", "", "", "", v.get("trainee_site", "")])
            colours.append("#fde3c2")
    if cells:
        table = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="center",
                         colWidths=[0.1, 0.12, 0.12, 0.1, 0.11, 0.11, 0.11, 0.23])
        table.auto_set_font_size(False)
        table.set_fontsize(9)
        table.scale(1, 1.4)
        for r, colour in enumerate(colours, start=1):
            for c in range(len(header)):
                table[r, c].set_facecolor(colour)
    else:
        ax.text(0.5, 0.9, "No lesions on either side.", ha="center", fontsize=11)
    fig.text(0.07, 0.04, DISCLAIMER + "  Dice by volume; HD95 = larger directed 95th percentile of "
             "surface distances; MSD = mean symmetric surface distance.", fontsize=7, color="#a02020",
             wrap=True)
    return fig


def _images_page(rows: list[ScorecardRow], ref: dict, tra: dict, image: Volume, grids, page: int):
    fig = _figure()
    fig.text(0.07, 0.965, "Key images", fontsize=11, weight="bold")
    fig.text(0.93, 0.965, f"page {page}", fontsize=8, ha="right", color="#666666")
    _legend(fig, 0.07, 0.945)
    for i, row in enumerate(rows):
        focus = ref.get(row.reference) or tra.get(row.trainee)
        grid = grids.get(focus.mask.series_uid) if focus.mask is not None else None
        centre = lesion_centre_index(focus, grid, image)
        title, colour = _row_title(row)
        top = 0.905 - i * 0.22
        fig.text(0.07, top, title, fontsize=10, weight="bold", color=colour)
        for j, plane in enumerate((Plane.AXIAL, Plane.CORONAL, Plane.SAGITTAL)):
            ax = fig.add_axes([0.07 + j * 0.30, top - 0.205, 0.27, 0.195])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.03, 0.97, plane.value, transform=ax.transAxes, fontsize=7, color="white",
                    va="top", bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})
            if centre is None:
                continue
            _draw_crop(ax, image, focus, centre, plane, ref.get(row.reference), tra.get(row.trainee))
    return fig


def _row_title(row: ScorecardRow) -> tuple[str, str]:
    v = row.values
    if row.outcome == "missed":
        return f"{MISSED.title}: reference {row.reference} ({v.get('reference_site', '')})", MISSED.colour
    if row.outcome == "extra":
        return (f"{EXTRA.title}: trainee {row.trainee} ({v.get('trainee_site', '')}) matches no reference lesion",
                EXTRA.colour)
    return (f"Reference {row.reference} / trainee {row.trainee}: Dice {_f(v['dice'], '.3f')}, "
            f"HD95 {_f(v['hd95_mm'], '.1f', ' mm')}", "#202020")


def _draw_crop(ax, image: Volume, focus: Lesion, centre, plane: Plane, ref_lesion, tra_lesion) -> None:
    """One crop through the lesion centre with both contours, oriented as the viewer shows ``plane``
    (core.orientation: superior up in coronal/sagittal, whatever the acquisition)."""
    layout = plane_layout(image, plane)
    axis = layout.slice_axis
    crop = lesion_crop(image, focus, centre, axis)
    pixels = crop.image(image)
    lo, hi = picture_range(image.unit, focus.site.value, pixels)  # lung and bone windows for their lesions
    sa, sb = plane_spacing(image.spacing_mm, axis)
    a_axis = min(k for k in range(3) if k != axis)
    swap = layout.h_axis == a_axis  # the screen's columns run along the crop's rows: transpose
    rows, cols = ((crop.b0, crop.b1), (crop.a0, crop.a1)) if swap else ((crop.a0, crop.a1), (crop.b0, crop.b1))
    if swap:
        pixels, sa, sb = pixels.T, sb, sa

    def xy(a, b):  # a crop point (row a, column b of the plane) as plot (x, y)
        return (a, b) if swap else (b, a)

    extent = (cols[0] - 0.5, cols[1] - 0.5, rows[1] - 0.5, rows[0] - 0.5)
    ax.imshow(pixels, cmap="gray", vmin=lo, vmax=hi, extent=extent, aspect=sa / sb, interpolation="nearest")
    matched = ref_lesion is not None and tra_lesion is not None
    for lesion, style in ((ref_lesion, REFERENCE if matched else MISSED), (tra_lesion, TRAINEE if matched else EXTRA)):
        if lesion is None:
            continue
        if lesion.mask is not None and lesion.mask.grid_shape == image.shape \
                and lesion.mask.series_uid == image.info.series_uid:
            for loop in slice_outlines(lesion.mask, axis, crop.index):
                closed = np.vstack([loop, loop[:1]])
                x, y = xy(closed[:, 0], closed[:, 1])
                if style.shaded:
                    ax.fill(x, y, color=style.colour, alpha=SHADE_ALPHA / 255, linewidth=0)
                ax.plot(x, y, style.line.matplotlib, color=style.colour, linewidth=1.4)
        elif lesion.point_mm is not None:
            zyx = image.patient_to_index(np.asarray(lesion.point_mm, dtype=np.float64))
            a, b = [k for k in range(3) if k != axis]
            x, y = xy(zyx[a], zyx[b])
            ax.plot([x], [y], marker="+", markersize=10, color=style.colour)
    ax.set_xlim(*((extent[1], extent[0]) if layout.h_flip else (extent[0], extent[1])))
    ax.set_ylim(*((extent[3], extent[2]) if layout.v_flip else (extent[2], extent[3])))


def _legend(fig, x: float, y: float) -> None:
    """The practice styles on a dark strip (white outlines would not show on paper), each drawn and named
    with the window's words (core.practice.styles), and what missed and extra mean under it."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    fig.add_artist(Rectangle((x, y - 0.011), 0.86, 0.018, transform=fig.transFigure, facecolor="#202020",
                             edgecolor="none"))
    entries = [style.legend_entry() for style in PRACTICE_STYLES]
    room = [len(text) + 10 for text in entries]  # the swatch takes about ten characters' width
    x0 = x + 0.008
    for style, text, share in zip(PRACTICE_STYLES, entries, room):
        if style.shaded:
            fig.add_artist(Rectangle((x0, y - 0.006), 0.035, 0.008, transform=fig.transFigure,
                                     facecolor=style.colour, alpha=SHADE_ALPHA / 255, edgecolor="none"))
        fig.add_artist(Line2D([x0, x0 + 0.035], [y - 0.002, y - 0.002], transform=fig.transFigure,
                              color=style.colour, linestyle=style.line.matplotlib, linewidth=1.4))
        fig.text(x0 + 0.042, y - 0.002, text, fontsize=6.5, color="white", va="center")
        x0 += (0.86 - 0.008) * share / sum(room)
    fig.text(x, y - 0.02, LEGEND_NOTE, fontsize=6.5, color="#444444", va="center")


def _f(value, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
