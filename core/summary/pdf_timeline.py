"""The summary PDF's pages on the comparison with the prior scan (core.summary.timeline).

* Timeline: lesion counts per date; one small chart per measure (size; SUVpeak or SULpeak, as
  the comparison says) with one line per lesion labelled with its label; a table with both
  values, the change in % and the status with the rule that decided it; the derived facts,
  marked as derived (or as the user's value).
* Key images: for each new and progressing lesion, the prior scan resampled through the
  registration | the current slice, in the same window, each with its contour, label and date;
  for a new lesion the prior side shows the matching position "not present". When the prior
  images are not available at export time the page says so instead.
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure

from core.lesion_colours import lesion_colour_hex
from core.summary.pdf_page import A4, EM_REGULAR as _EM_REGULAR, header as _header, new_page as _figure
from core.summary.pdf_page import wrapped_text as _wrapped_text

#: rows of the timeline table (more: "... and N more", the JSON has them all)
MAX_TIMELINE_ROWS = 22
#: side-by-side pairs on one page of key images
PAIRS_PER_PAGE = 3
TABLE_HEADERS = ["Label", "ID", "Site", "Status", "Decided by", "Size", "Prior mm", "Current mm", "Size Δ",
                 "Prior peak", "Current peak", "Peak Δ"]
TABLE_WIDTHS = [0.15, 0.045, 0.10, 0.09, 0.175, 0.04, 0.06, 0.075, 0.055, 0.07, 0.08, 0.06]
_TABLE_FONT = 6.2
STATE_WORD = {"derived": "DERIVED", "overridden": "USER", "confirmed": "CONFIRMED"}


def timeline_pages(s: dict, comparison) -> list[Figure]:
    """The timeline page and the key-image pages ([] when the summary holds no comparison)."""
    t = s.get("tracking")
    if not t:
        return []
    pages = [_timeline(s, t, comparison)]
    if comparison is not None and (comparison.pairs or comparison.unavailable):
        pages += _key_image_pages(s, t, comparison)
    return pages


def date_text(t: dict, which: str) -> str:
    return t["dates"].get(which) or "date unknown"


def _num(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "—" if value is None else f"{value:+.0f}%"


# ------------------------------------------------------------------ timeline
def _timeline(s: dict, t: dict, comparison) -> Figure:
    fig = _figure()
    _header(fig, s, "Compared with the prior scan: timeline of the lesions")
    c = t["counts"]
    y = 0.915
    fig.text(0.06, y, f"Lesions: {c['prior']} on {date_text(t, 'prior')} (prior)  →  {c['current']} on "
             f"{date_text(t, 'current')} (current);  new: {c['new']};  disappeared: {c['disappeared']}",
             fontsize=10, weight="bold", va="top")
    y = _wrapped_text(fig, 0.06, y - 0.02, "Values as measured when the comparison was made (oligoplan track). "
                      "Statuses, new lesions and derived facts are proposals until a user confirms them.",
                      7.5, max_lines=2, color="#444444")
    lines = _chart_lines(t)
    _chart(fig, (0.08, y - 0.245, 0.33, 0.21), t, lines, "size", "Size (mm)",
           "longest axial diameter; short axis for nodes")
    _chart(fig, (0.56, y - 0.245, 0.33, 0.21), t, lines, "peak", t["peak_measure"], "")
    y -= 0.295
    y = _table(fig, t, y)
    y = _derived(fig, t["derived_facts"], y - 0.012)
    notes = ["Status: PERCIST 1.0 (SULpeak; SUVpeak without height and sex) where both dates have PET, "
             "the CT status beside it; RECIST 1.1 (longest axial diameter, short axis for lymph nodes) "
             "otherwise; adapted per lesion (docs/tracking.md)."]
    if t.get("sul_note"):
        notes.append(t["sul_note"] + ".")
    if t.get("new_searched") is False:
        notes.append("New lesions were not searched by the comparison (no candidate finder): new ones are "
                     "those a user marked.")
    if not t["key_lesions"]:
        notes.append("No new or progressing lesion: no side-by-side key images.")
    elif comparison is not None and comparison.unavailable:
        notes.append("Side-by-side key images: " + comparison.unavailable + ".")
    for note in notes:
        y = _wrapped_text(fig, 0.06, y - 0.004, note, 7, max_lines=3, color="#333333")
    return fig


def _chart_lines(t: dict) -> list[dict]:
    """One line per lesion: (x, size) and (x, peak) points at prior (0) and current (1)."""
    out = []
    for e in t["lesions"]:
        gone = e["status"] == "disappeared"
        out.append({"id": e["id"], "label": e["label"], "gone": gone, "new": False,
                    "size": [(0, e["prior_size_mm"]), (1, 0.0 if gone else e["current_size_mm"])],
                    "peak": [(0, e["prior_peak"]), (1, 0.0 if gone else e["current_peak"])]})
    for e in t["new"]:
        out.append({"id": e["id"], "label": e["label"], "gone": False, "new": True,
                    "size": [(1, e["current_size_mm"])], "peak": [(1, e["current_peak"])]})
    return out


def _chart(fig: Figure, rect, t: dict, lines: list[dict], key: str, title: str, subtitle: str) -> None:
    ax = fig.add_axes(rect)
    ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=7.5, pad=3)
    ax.set_xlim(-0.25, 2.1)  # room right of the current date for the labels
    ax.set_xticks([0, 1])
    ax.set_xticklabels([f"prior\n{date_text(t, 'prior')}", f"current\n{date_text(t, 'current')}"], fontsize=6.5)
    ax.tick_params(axis="y", labelsize=6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ends = []
    top = 0.0
    for line in lines:
        points = [(x, v) for x, v in line[key] if v is not None]
        if not points or (line["gone"] and points[0][0] != 0):  # nothing measured (a gone one: before)
            continue
        colour = lesion_colour_hex(line["id"])
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        top = max(top, *ys)
        ax.plot(xs, ys, color=colour, linewidth=1.3, linestyle=":" if line["gone"] else "-",
                marker="o", markersize=3.5, markeredgecolor="black", markeredgewidth=0.4)
        if line["gone"]:
            ax.plot([1], [0.0], marker="x", color=colour, markersize=5)
        ends.append((ys[-1], line["label"] + (" (not found)" if line["gone"] else " (new)" if line["new"] else ""),
                     colour))
    if not ends:
        ax.text(0.5, 0.5, "not measured at the two dates", transform=ax.transAxes, ha="center", va="center",
                fontsize=7, color="#777777")
        ax.set_yticks([])
        return
    ax.set_ylim(-0.04 * top if top > 0 else 0.0, top * 1.15 if top > 0 else 1.0)
    for y_label, (value, text, colour) in zip(_spread([e[0] for e in ends], ax.get_ylim()), ends):
        ax.annotate(text, (1, value), xytext=(1.08, y_label), textcoords="data", fontsize=5.8, va="center",
                    color="black", arrowprops=dict(arrowstyle="-", color=colour, linewidth=0.5))


def _spread(values: list[float], ylim: tuple[float, float]) -> list[float]:
    """Label heights near ``values`` but at least one label height apart (same order as ``values``)."""
    lo, hi = ylim
    gap = (hi - lo) * 0.085
    order = sorted(range(len(values)), key=lambda k: values[k])
    placed = [0.0] * len(values)
    last = None
    for k in order:
        y = values[k] if last is None else max(values[k], last + gap)
        placed[k] = y
        last = y
    overflow = (last or 0.0) - (hi - gap / 2)
    if overflow > 0:  # pushed above the axes (into the title): move them all down, never below the bottom
        placed = [max(lo, y - overflow) for y in placed]
    return placed


def _table(fig: Figure, t: dict, y: float) -> float:
    rows = []
    for e in t["lesions"]:
        rule = e["rule"] + (f"; {e['beside']}" if e.get("beside") else "")
        rows.append((e["id"], [e["label"], e["id"], e["site"], e["status"], rule,
                               "SA" if e["size_measure"] == "short axis" else "LD",
                               _num(e["prior_size_mm"]), "not found" if e["status"] == "disappeared"
                               else _num(e["current_size_mm"]), _pct(e["size_change_pct"]),
                               _num(e["prior_peak"], 2), _num(e["current_peak"], 2), _pct(e["peak_change_pct"])]))
    for e in t["new"]:
        node = e["site"] in ("regional_lymph_node", "distant_lymph_node")
        rows.append((e["id"], [e["label"], e["id"], e["site"], "new", e["rule"], "SA" if node else "LD",
                               "absent", _num(e["current_size_mm"]), "—", "absent", _num(e["current_peak"], 2),
                               "—"]))
    shown = rows[:MAX_TIMELINE_ROWS]
    fig.text(0.06, y, "Per lesion", fontsize=10, weight="bold", va="top")
    y -= 0.018
    height = 0.0165 * (len(shown) + 1)
    ax = fig.add_axes((0.06, y - height, 0.88, height))
    ax.axis("off")
    # each cell shortened to what its column holds ("[...]" marks the cut), never drawn over the next
    fits = [max(int(w * 0.88 * A4[0] * 72 / (_EM_REGULAR * _TABLE_FONT)) - 1, 4) for w in TABLE_WIDTHS]
    cells = [[textwrap.shorten(str(v), n, placeholder="…") for v, n in zip(r, fits)] for _, r in shown]
    table = ax.table(cellText=cells, colLabels=TABLE_HEADERS, cellLoc="left", bbox=(0, 0, 1, 1),
                     colWidths=TABLE_WIDTHS)
    table.auto_set_font_size(False)
    table.set_fontsize(_TABLE_FONT)
    progressing = {"progressing", "new"}
    for (row, col), cell in table.get_celld().items():
        cell.set_linewidth(0.3)
        cell.PAD = min(0.1, 0.009 / TABLE_WIDTHS[col])
        if row == 0:
            cell.set_facecolor("#e0e0e0")
        elif col == 0:
            cell.set_facecolor(lesion_colour_hex(shown[row - 1][0]))
        elif col == 3 and cells[row - 1][3] in progressing:
            cell.set_facecolor("#ffcdd2")
    y -= height + 0.004
    fig.text(0.06, y, "LD: longest axial diameter (RECIST 1.1); SA: short axis (lymph nodes). Peak: "
             f"{t['peak_measure']}. Δ: the current value against the prior one.", fontsize=6, va="top",
             color="#444444")
    y -= 0.014
    if len(rows) > MAX_TIMELINE_ROWS:
        fig.text(0.06, y, f"… and {len(rows) - MAX_TIMELINE_ROWS} more lesions (see the summary JSON)",
                 fontsize=7, va="top")
        y -= 0.014
    return y


def _derived(fig: Figure, facts: list[dict], y: float) -> float:
    fig.text(0.06, y, "Facts derived from the comparison", fontsize=10, weight="bold", va="top")
    y -= 0.02
    if not facts:
        fig.text(0.06, y, "none", fontsize=7.5, va="top")
        return y - 0.016
    for f in facts:
        word = STATE_WORD.get(f["state"], "DERIVED")
        value = "not derived" if f["value"] is None else f["value"]
        if f["state"] == "overridden":
            text = (f"{f['label']}: {f['user_value']} (the user's value; derived: {value}, {f['reason']})")
        elif f["state"] == "confirmed":
            text = f"{f['label']}: {value} (derived, confirmed by the user: {f['reason']})"
        else:
            text = f"{f['label']}: {value} (derived, a proposal not confirmed: {f['reason']})"
        fig.text(0.06, y, word, fontsize=7, weight="bold", va="top",
                 color="#6a1b9a" if f["state"] == "derived" else "#1b5e20")
        y = _wrapped_text(fig, 0.16, y, text, 7, max_lines=2) - 0.003
    return y


# ------------------------------------------------------------------ key images
def _key_image_pages(s: dict, t: dict, comparison) -> list[Figure]:
    subtitle = "Compared with the prior scan: key images of new and progressing lesions"
    if comparison.unavailable:
        fig = _figure()
        _header(fig, s, subtitle)
        _wrapped_text(fig, 0.06, 0.9, comparison.unavailable + ".", 10, max_lines=5, color="#b03030")
        labels = {e["id"]: e["label"] for e in t["lesions"] + t["new"]}
        listed = ", ".join(f"{labels.get(i, i)} ({i})" if labels.get(i, i) != i else i for i in t["key_lesions"])
        _wrapped_text(fig, 0.06, 0.83, f"New and progressing lesions without images here: {listed}.", 8,
                      max_lines=4)
        return [fig]
    pages = []
    pairs = comparison.pairs
    for start in range(0, len(pairs), PAIRS_PER_PAGE):
        fig = _figure()
        _header(fig, s, subtitle)
        fig.text(0.06, 0.915, "Left: the prior scan resampled through the registration onto the current slice; "
                 "right: the current scan. Same window on both sides.", fontsize=7, va="top", color="#444444")
        for n, pair in enumerate(pairs[start:start + PAIRS_PER_PAGE]):
            _pair(fig, t, pair, 0.895 - n * 0.275)
        pages.append(fig)
    missing = len(t["key_lesions"]) - len(pairs)
    if missing > 0:
        pages[-1].text(0.06, 0.065, f"{missing} more new or progressing lesion(s) without key images here "
                       "(see the timeline page)", fontsize=7)
    return pages


def _pair(fig: Figure, t: dict, pair, top: float) -> None:
    e = pair.entry
    if e["status"] == "new":
        what = f"new ({e['rule']}): {_num(e.get('current_size_mm'))} mm now"
    else:
        what = (f"progressing ({e['rule']}): {_num(e['prior_size_mm'])} → {_num(e['current_size_mm'])} mm"
                f" ({_pct(e['size_change_pct'])})")
        if e.get("prior_peak") is not None and e.get("current_peak") is not None:
            what += f", peak {_num(e['prior_peak'], 2)} → {_num(e['current_peak'], 2)} ({_pct(e['peak_change_pct'])})"
    fig.text(0.06, top, f"{e['label']} ({e['id']}, {e['site']}): {what}", fontsize=8.5, weight="bold", va="top")
    size = 0.3
    height = size * A4[0] / A4[1]
    for k, (pic, when) in enumerate(((pair.prior, "prior"), (pair.current, "current"))):
        ax = fig.add_axes((0.12 + k * 0.42, top - 0.04 - height, size, height))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{when} {date_text(t, when)}", fontsize=7, pad=2)
        if pic is None:
            ax.text(0.5, 0.5, "no image at this position", transform=ax.transAxes, ha="center", fontsize=7)
            continue
        ax.imshow(pic.image, cmap=pic.cmap, vmin=pic.vmin, vmax=pic.vmax, extent=pic.extent,
                  interpolation="nearest")
        if pic.mask is not None and pic.mask.any():
            ax.contour(pic.mask.astype(float), levels=[0.5], colors=[lesion_colour_hex(e["id"])], linewidths=1.0,
                       extent=(pic.extent[0], pic.extent[1], pic.extent[3], pic.extent[2]), origin="upper")
        if when == "prior" and pair.prior_note:
            centre = e.get("centroid_mm")
            if centre is not None:
                ax.plot(centre[0], centre[1], marker="+", markersize=14, color="#ffeb3b", markeredgewidth=1.2)
            # text on a dark box, not outlined: outlined text is drawn as paths, unreadable to a text search
            ax.text(0.5, 0.06, pair.prior_note, transform=ax.transAxes, ha="center", fontsize=8, color="#ffeb3b",
                    weight="bold", bbox=dict(boxstyle="round,pad=0.2", facecolor="black", edgecolor="none",
                                             alpha=0.7))
        ax.text(0.03, 0.95, e["label"], transform=ax.transAxes, va="top", fontsize=6.5, color="white",
                bbox=dict(boxstyle="round,pad=0.15", facecolor="black", edgecolor="none", alpha=0.6))
    fig.text(0.12, top - 0.04 - height - 0.006, f"window {pair.current.vmin:.0f} to {pair.current.vmax:.0f} HU"
             if pair.current is not None else "", fontsize=6, va="top", color="#444444")
