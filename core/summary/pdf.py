"""The candidacy summary as a PDF of one to three A4 pages, drawn with matplotlib (Agg).

Page 1: identification, decision-support statement, ESTRO-EORTC class, case
facts, counts per organ, the verdict of every rule set with its version.
Page 2: lesion table with OAR flags, the coronal MIP lesion map with numbered
markers, one key axial image per lesion with its contour.
When the case holds a comparison with the prior scan: its timeline page and the side-by-side
key images of new and progressing lesions (core.summary.pdf_timeline).
Last page: every criterion of every rule set: status, value, threshold, source;
unverified thresholds marked †.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import matplotlib.patheffects

matplotlib.use("Agg", force=False)
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from core.atomic_file import atomic_open, writing_file  # noqa: E402
from core.lesion_colours import lesion_colour_hex  # noqa: E402
from core.rules.facts import FIELDS, fact_names  # noqa: E402
from core.review import review_colour, review_headline  # noqa: E402
from core.rules.engine import value_with_unit  # noqa: E402
from core.rules.outcome import CriterionStatus  # noqa: E402
from core.summary.images import Picture  # noqa: E402
from core.summary.pdf_timeline import timeline_pages  # noqa: E402
from core.summary.pdf_page import A4, EM_BOLD as _EM_BOLD, EM_REGULAR as _EM_REGULAR  # noqa: E402
from core.summary.pdf_page import header as _header, new_page as _figure, wrapped_text as _wrapped_text  # noqa: E402

from core.display import STATUS_COLOURS, UNKNOWN_COLOUR, VERDICT_COLOURS  # noqa: E402,F401 (the panel's too)
#: the document (JSON) holds the words; a StrEnum member equals its word
STATUS_WORD = {CriterionStatus.PASS: "PASS", CriterionStatus.FAIL: "FAIL", CriterionStatus.UNKNOWN: "UNKNOWN"}
#: A lesion-map number whose lesion has an organ-at-risk flag raised.
OAR_FLAG_COLOUR = "#d32f2f"
#: The lesion table's diameter columns and the note that tells them apart (as the gui's lesion table)
DIAMETER_NOTE = ("3D LD: longest 3D diameter, used by the rule sets' size criteria; axial LD: longest axial "
                 "diameter (RECIST 1.1), as in the lesion table.")
#: Lesions in the page-2 table (more: "... and N more", see the CSV); each has its key image.
MAX_TABLE_ROWS = 24
MAX_KEY_IMAGES = MAX_TABLE_ROWS
#: The key-image grid: right of the lesion map, above the footer; tiles no smaller than this.
_KEY_LEFT, _KEY_WIDTH, _KEY_BOTTOM, _KEY_GAP, _KEY_TITLE = 0.485, 0.455, 0.09, 0.005, 0.018
_KEY_MIN_SIZE = 0.07


def write_summary_pdf(summary: dict, path: str | Path, mip: Picture | None = None,
                      key_images: list[tuple[int, Picture]] | None = None, comparison=None) -> Path:
    """Write the PDF atomically; ``key_images`` are (lesion number, picture) pairs; ``comparison``
    the side-by-side images of the comparison with the prior scan (core.summary.timeline).

    Raises :class:`core.errors.FileWriteError` naming ``path`` when it cannot be written.
    """
    pages = summary_figures(summary, mip, key_images, comparison)
    metadata = {"Title": summary["title"], "Creator": f"OligoPlan {summary['app_version']}",
                "Author": summary["author"] or "OligoPlan"}
    if summary.get("anonymisation"):  # the real date of writing is an absolute date too (issue 14)
        metadata["CreationDate"] = None
    with writing_file(path, "summary PDF") as path, atomic_open(path) as fh, \
            PdfPages(fh, metadata=metadata) as pdf:
        for fig in pages:
            pdf.savefig(fig)
    return path


def summary_figures(summary: dict, mip: Picture | None = None,
                    key_images: list[tuple[int, Picture]] | None = None, comparison=None) -> list[Figure]:
    """The pages of the summary PDF as matplotlib figures (what :func:`write_summary_pdf` saves)."""
    overview, shown = _page_overview(summary)
    pages = [overview, *_pages_rule_sets_continued(summary, shown), _page_lesions(summary, mip, key_images or []),
             *timeline_pages(summary, comparison), _page_criteria(summary)]
    for n, fig in enumerate(pages, start=1):
        _footer(fig, summary, n, len(pages))
    return pages


# ------------------------------------------------------------------ helpers
def _footer(fig: Figure, s: dict, n: int, total: int) -> None:
    review = s.get("review") or {}
    altered = ", audit trail altered" if review.get("trail_altered") else ""
    left_out = "left out (anonymised)" if s.get("anonymisation") else "not given"
    fig.text(0.06, 0.025, f"OligoPlan {s['app_version']} · generated {s['generated']} · author: "
             f"{s['author'] or left_out} · review: {review.get('state') or 'not recorded'}{altered}"
             f" · page {n} of {total}", fontsize=6.5, color="#555555")
    fig.text(0.06, 0.04, "Decision support only, not a treatment order.", fontsize=7, color="#b03030",
             weight="bold")


def _identification(s: dict) -> str:
    p = s["patient"]
    if p.get("anonymised"):
        return "Patient: anonymised"
    name = ", ".join(x for x in str(p.get("name") or "").split("^") if x)  # DICOM PN Family^Given -> "Family, Given"
    parts = [f"Patient: {name or '—'}", f"ID {p.get('id') or '—'}"]
    if p.get("study_date"):
        parts.append(f"study {p['study_date']}")
    if p.get("images"):
        parts.append(" + ".join(p["images"]))
    return " · ".join(parts)


def _fmt(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _review_lines(fig: Figure, s: dict, y: float) -> float:
    """The review state ("Approved by ... UTC") beside the author, and each sign-off's comment, each
    wrapped within the page's right margin (a long name, role or comment takes more lines)."""
    review = s.get("review") or {}
    state = review.get("state")
    status = review_headline(state, review.get("status") or "review state not recorded")
    fig.text(0.06, y, "Review:", fontsize=10, weight="bold", va="top")
    # a trail changed outside OligoPlan: its sign-off is not to be relied on, never in approved green
    colour = review_colour(state, bool(review.get("trail_altered")))
    y = _wrapped_text(fig, 0.30, y, status, 10, bold=True, max_lines=3, color=colour) - 0.004
    when = f"{s['generated'][:16].replace('T', ' ')} UTC"
    written = (f"summary written on {when}; author left out (anonymised)"
               if not s["author"] and s.get("anonymisation") else
               f"summary written by {s['author'] or 'not given'} on {when}")
    y = _wrapped_text(fig, 0.30, y, written, 7.5, max_lines=2, color="#444444")
    for so in review.get("signoffs", [])[-2:]:
        comment = f": {so['comment']}" if so.get("comment") else ""
        y = _wrapped_text(fig, 0.30, y - 0.002, f"{so['state']} by {so['name']}"
                          + (f" ({so['role']})" if so.get("role") else "")
                          + f", {so['when'][:16].replace('T', ' ')} UTC{comment}", 7, color="#444444")
    return y - 0.018


# ------------------------------------------------------------------ page 1
def _anonymisation_lines(fig: Figure, s: dict, y: float) -> float:
    """What an anonymised export left out or changed (core.export_privacy), under the statement."""
    statement = s.get("anonymisation")
    if not statement:
        return y
    from core.export_privacy import statement_lines

    for line in statement_lines(statement):
        y = _wrapped_text(fig, 0.06, y, line, 7, max_lines=3, color="#1a4f8a")
    return y - 0.008


def _page_overview(s: dict) -> tuple[Figure, int]:
    """Page 1, and how many of the rule sets it shows (the rest continue on the next page)."""
    fig = _figure()
    _header(fig, s, _identification(s))
    y = 0.915
    fig.text(0.06, y, textwrap.fill(s["disclaimer"], 120), fontsize=8, color="#b03030", va="top")
    y -= 0.045
    y = _anonymisation_lines(fig, s, y)
    y = _review_lines(fig, s, y)
    cls = s["classification"]
    text = cls["class"] if not cls["missing"] else f"unknown — needs {fact_names(cls['missing'])}"
    problems = cls.get("problems") or []
    if problems:  # dates that cannot be right: no class, and why (issue 12)
        text = "unknown — " + "; ".join(problems)
    induced = cls.get("genesis") == "induced" and not problems
    fig.text(0.06, y, "ESTRO-EORTC class:", fontsize=11, weight="bold", va="top")
    # wrapped within the right margin: the induced note ran off the page ("down-staged" cut)
    below = _wrapped_text(fig, 0.30, y, text.upper() if induced else text, 9 if problems else 11, bold=induced,
                          max_lines=4 if problems else 2,
                          color="#c62828" if induced else "#ef6c00" if problems else "black")
    y = min(y - 0.02, below - 0.003)
    note = (f"synchronous/metachronous cut-off {cls['cutoff_months']:g} months (setting; not verified)"
            + ("; INDUCED: widespread disease down-staged by systemic therapy" if induced else ""))
    y = _wrapped_text(fig, 0.30, y, note, 7.5, max_lines=3, color="#444444") - (0.035 - 7.5 * 1.3 / 72 / A4[1])
    # facts (two columns)
    fig.text(0.06, y, "Case facts", fontsize=11, weight="bold", va="top")
    y -= 0.02
    facts = s["facts"]
    derived = {k for k, source in (s.get("fact_sources") or {}).items() if source.get("derived")}
    items = [(f.label + (f" ({f.unit})" if f.unit else ""),
              _fmt(facts.get(f.key)) + (" (derived from prior scan)" if f.key in derived else ""), f.key in derived)
             for f in FIELDS]
    half = (len(items) + 1) // 2
    for col, chunk in enumerate((items[:half], items[half:])):
        yy = y
        for label, value, is_derived in chunk:
            fig.text(0.06 + col * 0.46, yy, label, fontsize=7.5, va="top", color="#333333")
            fig.text(0.31 + col * 0.46, yy, value, fontsize=7.5, va="top", style="italic" if is_derived else "normal",
                     color=UNKNOWN_COLOUR if value == "unknown" else "black")
            yy -= 0.0155
    y -= 0.0155 * half + 0.02
    counts = s["counts"]
    by_site = ", ".join(f"{k} {v}" for k, v in counts["by_site"].items()) or "none"
    fig.text(0.06, y, "Lesions counted", fontsize=11, weight="bold", va="top")
    y -= 0.022
    fig.text(0.06, y, f"{counts['total']} metastases: {by_site}"
             + (f"; {counts['primary']} primary marked" if counts.get("primary") else ""), fontsize=9, va="top")
    proposed = [r["id"] for r in s.get("lesions") or [] if not r.get("site_confirmed", True) and r["site"] != "unknown"]
    if proposed:  # the counts (and the verdicts below) rest on sites no user has confirmed: say so here
        y -= 0.017
        fig.text(0.06, y, textwrap.shorten(f"Sites proposed, not confirmed by a user: {', '.join(proposed)} "
                                           "(marked * on the lesions page)", 120), fontsize=7.5, va="top",
                 color=PROPOSED_COLOUR)
    y -= 0.035
    y = _scores(fig, s.get("scores") or [], y)
    fig.text(0.06, y, "Rule sets", fontsize=11, weight="bold", va="top")
    y -= 0.022
    fits = max(int((y - _RULES_BOTTOM) / _RULE_STEP), 1)
    rule_sets = s["rule_sets"]
    if len(rule_sets) > fits:  # the rest continue on the next page, never drawn over each other
        fits = max(fits - 1, 1)
        more = len(rule_sets) - fits
        _rule_set_rows(fig, rule_sets[:fits], y)
        fig.text(0.225, y - fits * _RULE_STEP, f"{more} more rule set{'s' if more != 1 else ''} on the next page",
                 fontsize=7.5, va="top", style="italic", color="#333333")
    else:
        fits = len(rule_sets)
        _rule_set_rows(fig, rule_sets, y)
    if s.get("warnings"):
        fig.text(0.06, 0.065, textwrap.shorten("Notes: " + " | ".join(s["warnings"]), 200), fontsize=6.5,
                 color="#8a5a00")
    return fig, fits


#: One rule set's rows on the summary (verdict, id and version; then why) and the lowest y they may use.
_RULE_STEP, _RULES_BOTTOM = 0.03, 0.075


def _rule_set_rows(fig: Figure, rule_sets: list[dict], y: float) -> float:
    """Each rule set's verdict box, id, version and why (failed or unknown criteria) from ``y`` down."""
    for r in rule_sets:
        colour = VERDICT_COLOURS[r["verdict"]]
        fig.patches.append(matplotlib.patches.FancyBboxPatch(
            (0.06, y - 0.0135), 0.15, 0.0145, boxstyle="round,pad=0.002", transform=fig.transFigure,
            facecolor=colour, edgecolor="none", figure=fig))
        fig.text(0.135, y - 0.0063, r["verdict_text"].upper(), fontsize=7.5, color="white", weight="bold",
                 ha="center", va="center")
        dagger = " †" if r.get("unverified_thresholds") else ""
        failed = [c["title"] for c in r["criteria"] if c["status"] == CriterionStatus.FAIL]
        unknown = [c["title"] for c in r["criteria"] if c["status"] == CriterionStatus.UNKNOWN]
        why = ("fails: " + "; ".join(failed)) if failed else ("unknown: " + "; ".join(unknown)) if unknown else \
            "every criterion passed"
        rid = r["id"] if len(r["id"]) <= 22 else r["id"][:21] + "…"  # room before the version column
        fig.text(0.225, y, f"{rid}{dagger}", fontsize=8.5, weight="bold", va="top")
        fig.text(0.45, y, f"version {r['version']}", fontsize=7, va="top", color="#444444")
        fig.text(0.225, y - 0.0125, textwrap.shorten(why, 125), fontsize=6.8, va="top", color="#333333")
        y -= _RULE_STEP
    return y


def _pages_rule_sets_continued(s: dict, first: int) -> list[Figure]:
    """The rule sets page 1 had no room for, as many pages as they need."""
    pages, top = [], 0.915 - 0.03
    per_page = max(int((top - _RULES_BOTTOM) / _RULE_STEP), 1)
    for start in range(first, len(s["rule_sets"]), per_page):
        fig = _figure()
        _header(fig, s, _identification(s))
        fig.text(0.06, 0.915, "Rule sets (continued)", fontsize=11, weight="bold", va="top")
        _rule_set_rows(fig, s["rule_sets"][start:start + per_page], top)
        pages.append(fig)
    return pages


def _scores(fig: Figure, scores: list[dict], y: float) -> float:
    """The prognostic scores (Fong): the total or why there is none, then each factor with its points."""
    for score in scores:
        fig.text(0.06, y, "Prognostic score", fontsize=11, weight="bold", va="top")
        y = _wrapped_text(fig, 0.30, y, f"{score['title']}: {score['summary']}", 9, max_lines=2,
                          color="black" if score["status"] == "complete" else "#ef6c00")
        y -= 0.002
        for f in score["factors"]:
            y = _wrapped_text(fig, 0.30, y, f"{f['label']}: {_points(f['points'])} ({f['text']})", 7,
                              max_lines=2, color="#333333" if f["points"] is not None else "#ef6c00")
        y = _wrapped_text(fig, 0.30, y - 0.002, score["source"], 6.5, max_lines=1, color="#666666") - 0.02
    return y


def _points(points) -> str:
    return "unknown" if points is None else f"{points} point{'s' if points != 1 else ''}"


#: the colour of what OligoPlan proposed and no user confirmed yet (sites), on every page
PROPOSED_COLOUR = "#1f3f6f"

# ------------------------------------------------------------------ page 2
#: The page-2 lesion table: headers and column widths (fractions of the table's width).
LESION_TABLE_HEADERS = ["#", "ID", "Site", "Kind", "Treat.", "3D LD mm", "Axial LD mm", "Vol. cm³", "SUVmax",
                        "OAR flags", "Organs at risk"]
LESION_TABLE_WIDTHS = [0.03, 0.04, 0.10, 0.08, 0.09, 0.075, 0.085, 0.065, 0.06, 0.105, 0.27]
_C_FLAGS = LESION_TABLE_HEADERS.index("OAR flags")


def sites_decided_lines(rows: list[dict], width: int = 160) -> list[str]:
    """How each lesion's site was decided ("L1 liver: LIVER structure, 100% inside; confirmed"), wrapped;
    [] when every site was chosen by the user."""
    if all(r.get("site_source", "user") == "user" for r in rows):
        return []
    text = "Sites (* proposed, not confirmed by a user): " + " · ".join(
        f"{r['id']} {r['site']}: {r.get('site_decided') or 'chosen by the user'}" for r in rows)
    return textwrap.wrap(text, width)


def _page_lesions(s: dict, mip: Picture | None, key_images: list[tuple[int, Picture]]) -> Figure:
    fig = _figure()
    _header(fig, s, "Lesions, lesion map and key images")
    rows = s["lesions"]
    table_h = 0.0165 * (min(len(rows), MAX_TABLE_ROWS) + 1)
    ax = fig.add_axes((0.06, 0.925 - table_h, 0.88, table_h))
    ax.axis("off")
    cells = []
    for r in rows[:MAX_TABLE_ROWS]:
        site = r["site"] + (f" ({r['laterality']})" if r.get("laterality") else "")
        site += "" if r.get("site_confirmed", True) else "*"  # proposed, not confirmed: see the note below
        treat = {"yes": "yes", "no": "NO"}.get(r["treatable"], "not assessed")
        cells.append([r["number"], r["id"], site, r["kind"], treat,
                      _num(r["longest_diameter_mm"], 1), _num(r.get("longest_axial_diameter_mm"), 1),
                      _num(r["volume_cc"], 2), _num(r["suv_max"], 1),
                      r["oar_flags"] or "—", textwrap.shorten(r["nearest_oar"] or "—", 40)])
    if cells:
        headers, widths = LESION_TABLE_HEADERS, LESION_TABLE_WIDTHS
        table = ax.table(cellText=cells, colLabels=headers, loc="upper center", cellLoc="left",
                         bbox=(0, 0, 1, 1), colWidths=widths)
        table.auto_set_font_size(False)
        table.set_fontsize(6.5)
        for (row, col), cell in table.get_celld().items():
            cell.set_linewidth(0.3)
            cell.PAD = min(0.1, 0.009 / widths[col])  # the same small inset in every column (PAD: of its width)
            if row == 0:
                cell.set_facecolor("#e0e0e0")
            elif col == 0:  # the lesion's colour, as in the views, the map and the RTSTRUCT
                cell.set_facecolor(lesion_colour_hex(cells[row - 1][1]))
            elif col == _C_FLAGS and cells[row - 1][_C_FLAGS] not in ("—", "not checked"):
                cell.set_facecolor("#ffe0b2")
        fig.text(0.06, 0.925 - table_h - 0.004, DIAMETER_NOTE, fontsize=6, va="top", color="#444444")
    else:
        ax.text(0.5, 0.5, "No lesions marked", ha="center", fontsize=10)
    sites = sites_decided_lines(rows[:MAX_TABLE_ROWS])
    if sites:
        fig.text(0.06, 0.925 - table_h - 0.018, "\n".join(sites), fontsize=6, va="top", color=PROPOSED_COLOUR)
    top = 0.925 - table_h - 0.03 - 0.0095 * len(sites)
    if len(rows) > MAX_TABLE_ROWS:
        fig.text(0.06, top + 0.012, f"… and {len(rows) - MAX_TABLE_ROWS} more lesions (see the CSV)", fontsize=7)
    # lesion map
    ax = fig.add_axes((0.06, top - 0.42, 0.40, 0.40))
    ax.set_anchor("N")  # the map (wider than tall) at the top of its box, level with the key images
    if mip is not None:
        ax.imshow(mip.image, cmap=mip.cmap, vmin=mip.vmin, vmax=mip.vmax, extent=mip.extent,
                  interpolation="nearest", aspect="equal")
        for r in rows:
            c = r.get("centroid_mm")
            if c is None:
                continue
            # a ring in the lesion's own colour (dark-edged, to show on a white PET MIP too); the
            # number in red when an organ-at-risk flag is raised
            flagged = r["oar_flags"] not in ("", "not checked")
            ax.plot(c[0], c[2], marker="o", markersize=9, markerfacecolor="none",
                    markeredgecolor=lesion_colour_hex(r["id"]), markeredgewidth=1.6,
                    path_effects=[matplotlib.patheffects.withStroke(linewidth=2.6, foreground="black")])
            ax.annotate(str(r["number"]), (c[0], c[2]), xytext=(5, 4), textcoords="offset points",
                        fontsize=7.5, color=OAR_FLAG_COLOUR if flagged else "black", weight="bold",
                        path_effects=[matplotlib.patheffects.withStroke(linewidth=2, foreground="white")])
        ax.set_title(f"Lesion map: coronal {mip.label}", fontsize=8)
        ax.text(0.0, -0.2, "Rings: each lesion's colour, as in OligoPlan. Red number: OAR flag.",
                transform=ax.transAxes, fontsize=5.5, va="top", color="#444444")
        ax.text(0.02, 0.5, "R", transform=ax.transAxes, fontsize=8, color="#1565c0", weight="bold")
        ax.text(0.95, 0.5, "L", transform=ax.transAxes, fontsize=8, color="#1565c0", weight="bold")
    else:
        ax.text(0.5, 0.5, "images not available", ha="center", va="center", fontsize=8)
    ax.tick_params(labelsize=5)
    ax.set_xlabel("x (mm, LPS)", fontsize=6)
    ax.set_ylabel("z (mm)", fontsize=6)
    # key images
    ncol, size, fits = key_image_grid(len(key_images), top)
    shown = key_images[:fits]
    for n, (number, pic) in enumerate(shown):
        row, col = divmod(n, ncol)
        x0 = _KEY_LEFT + col * (size + _KEY_GAP)
        y0 = top - (row + 1) * (size * A4[0] / A4[1] + _KEY_TITLE)
        ax = fig.add_axes((x0, y0, size, size * A4[0] / A4[1]))
        ax.imshow(pic.image, cmap=pic.cmap, vmin=pic.vmin, vmax=pic.vmax, extent=pic.extent,
                  interpolation="nearest")
        if pic.mask is not None and pic.mask.any():
            ax.contour(pic.mask.astype(float), levels=[0.5], colors=[lesion_colour_hex(rows[number - 1]["id"])],
                       linewidths=0.9,
                       extent=(pic.extent[0], pic.extent[1], pic.extent[3], pic.extent[2]), origin="upper")
        ax.set_title(f"{number}: {rows[number - 1]['id']} {rows[number - 1]['site']}",
                     fontsize=6.5 if size > 0.1 else 5.5, pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
    missing = [r["number"] for r in rows if r["number"] not in {number for number, _ in shown}]
    if missing:  # never left out silently: no room on the page, or no image to show
        fig.text(_KEY_LEFT, _KEY_BOTTOM - 0.015, textwrap.shorten(
            "no key image for lesion " + ", ".join(map(str, missing)), 110), fontsize=6.5)
    return fig


def key_image_grid(n: int, top: float) -> tuple[int, float, int]:
    """(columns, tile width as a fraction of the page width, how many tiles fit) for ``n`` key
    images between ``top`` and the footer: the fewest columns (largest tiles) that hold all
    ``n``; when even the smallest tiles do not, as many as fit."""
    aspect = A4[0] / A4[1]
    best = (3, 0.0, 0)
    for ncol in range(3, 10):
        size = (_KEY_WIDTH - (ncol - 1) * _KEY_GAP) / ncol
        if size < _KEY_MIN_SIZE:
            break
        rows = max(int((top - _KEY_BOTTOM) // (size * aspect + _KEY_TITLE)), 0)
        best = (ncol, size, min(n, rows * ncol))
        if rows * ncol >= n:
            break
    return best


def _num(v, digits):
    return "—" if v is None else f"{v:.{digits}f}"


# ------------------------------------------------------------------ page 3
def _criterion_lines(c: dict, depth: int = 0) -> list[tuple[str, str, str]]:
    dagger = "" if c["verified"] else " †"
    met = c["status"] == CriterionStatus.PASS
    value = value_with_unit(c["value"], c["unit"]) if c["value"] is not None or not met else "—"
    lesions = f" [{', '.join(c['lesions'])}]" if c["lesions"] and not met else ""
    text = (f"{'    ' * depth}{c['title']}: {value} (needs {c['threshold_text'] or '—'}{dagger}){lesions}"
            f" — {c['source']}")
    out = [(STATUS_WORD[c["status"]], c["status"], text)]
    for child in c.get("criteria", []):
        out.extend(_criterion_lines(child, depth + 1))
    return out


_TOP, _BOTTOM = 0.925, 0.065  # figure fractions available for the criteria


def _pt_to_x(pt: float) -> float:
    return pt / 72.0 / A4[0]


def _criteria_layout(entries, columns: int, size: float):
    """Place ``entries`` (word, status, text, heading) in ``columns`` at font ``size`` (pt): each text
    wrapped to at most two lines that fit the column. Returns (rows, step) or None when they do not fit."""
    col_pt = (0.88 / columns - 0.02) * A4[0] * 72
    step = size * 1.42 / 72 / A4[1]
    per_col = int((_TOP - _BOTTOM) / step)
    placed, col, row = [], 0, 0.0
    for word, status, text, heading in entries:
        hsize = size + 0.6 if heading else size
        body = text.lstrip(" ")
        depth = (len(text) - len(body)) // 4  # a sub-criterion
        indent_pt = (9.8 if heading else 7.2 + 1.5 * depth) * hsize  # past "NOT ELIGIBLE" / "UNKNOWN" in bold
        chars = int((col_pt - indent_pt) / ((_EM_BOLD if heading else _EM_REGULAR) * hsize))
        lines = textwrap.wrap(body, chars) or [""]
        if len(lines) > 2:
            lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), chars - 2)]
        if heading and row > 0:
            row += 0.5  # a little air above each rule set
        if row + len(lines) > per_col:
            col, row = col + 1, 0
            if col >= columns:
                return None
        placed.append((col, row, word, status, lines, heading, _pt_to_x(indent_pt)))
        row += len(lines)
    return placed, step


def _page_criteria(s: dict) -> Figure:
    fig = _figure()
    _header(fig, s, "Every criterion: status, measured value, threshold, source († = threshold not verified)")
    entries: list[tuple[str, str, str, bool]] = []
    for r in s["rule_sets"]:
        entries.append((r["verdict_text"].upper(), r["verdict"], f"{r['id']} (version {r['version']}) — {r['title']}",
                        True))
        for word, status, text in (x for c in r["criteria"] for x in _criterion_lines(c)):
            entries.append((word, status, text, False))
    layout, columns, size = None, 2, 4.2
    for columns, size in ((1, 7.0), (1, 6.5), (1, 6.0), (2, 6.0), (2, 5.5), (2, 5.0), (2, 4.6), (2, 4.2)):
        layout = _criteria_layout(entries, columns, size)
        if layout is not None:
            break
    if layout is None:  # very many criteria: one line each, squeezed (the JSON has them all)
        layout = _criteria_layout([(w, st, _one_line(t, 60 if h else 80), h) for w, st, t, h in entries], 2, 4.2) \
            or _squeezed(entries)
    placed, step = layout
    for col, row, word, status, lines, heading, indent in placed:
        x = 0.06 + col * (0.88 / columns)
        y = _TOP - row * step
        colour = VERDICT_COLOURS.get(status) or STATUS_COLOURS.get(status, "black")
        hsize = size + 0.6 if heading else size
        fig.text(x, y, word, fontsize=hsize, color=colour, weight="bold", va="top")
        for k, line in enumerate(lines):
            more = _pt_to_x(1.2 * hsize) if k else 0.0  # continuation lines a little to the right
            fig.text(x + indent + more, y - k * step, line, fontsize=hsize, va="top",
                     weight="bold" if heading else "normal")
    return fig


def _one_line(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters, keeping a sub-criterion's leading indent."""
    body = text.lstrip(" ")
    return text[:len(text) - len(body)] + textwrap.shorten(body, width)


def _squeezed(entries):
    """Last resort: every entry on one line, two columns, rows as tight as needed to fit."""
    per_col = (len(entries) + 1) // 2
    step = (_TOP - _BOTTOM) / max(per_col, 1)
    placed = [(k // per_col, k % per_col, w, st, [textwrap.shorten(t, 95)], h, _pt_to_x(7.2 * 4.2))
              for k, (w, st, t, h) in enumerate(entries)]
    return placed, step
