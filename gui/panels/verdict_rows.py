"""How the verdict tree's rows are drawn: wrapped to the tree's width, the verdict or status first.

The side column is 324-500 px wide: a rule set's row ("ELIGIBLE — sabr-comet — SABR-COMET: SABR for
oligometastatic…") and the criteria's six columns did not fit, were cut at the right and the tree scrolled
sideways (issue 16). :class:`VerdictRowDelegate` draws

* a rule set's or score's row (it spans the tree) as rich text wrapped to the tree's width, the verdict
  word first and in its colour ("ELIGIBLE" green, "NOT ELIGIBLE" red, "UNDETERMINED" orange);
* in the *compact* layout (the status, value and threshold columns do not fit beside a readable name,
  :func:`compact_fits`), a criterion as one cell: its status word first in its colour, then its name, then
  a grey line with its value, threshold and the lesions it names, all wrapped to the tree's width;
* in the column layout, a criterion's name wrapped to its column (the other columns as Qt draws them).

The items keep their column texts (the tree's model is unchanged); the delegate only lays them out.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFontMetrics, QPalette, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget

from core.display import VERDICT_COLOURS
from core.rules.outcome import Verdict

COLUMN_PADDING = 16  # px: the cell's margins around its text
TEXT_MARGIN = 4  # px: the rich text's margin each side in its cell (Qt's own item margin)
#: the verdict word of a rule set's row -> its colour (the PDF's); "NO LESIONS YET" is grey
VERDICT_WORD_COLOURS = {"ELIGIBLE": VERDICT_COLOURS[Verdict.ELIGIBLE], "NOT ELIGIBLE": VERDICT_COLOURS[Verdict.NOT_ELIGIBLE],
                        "UNDETERMINED": VERDICT_COLOURS[Verdict.UNDETERMINED]}
NEUTRAL_COLOUR = "#555555"
DETAIL_COLOUR = "#555555"
NBSP = "\u00a0"  # the value / threshold line under a criterion's name


def depth_of(index: QModelIndex) -> int:
    depth, parent = 0, index.parent()
    while parent.isValid():
        depth, parent = depth + 1, parent.parent()
    return depth


def compact_fits(viewport_px: int, title_px: int, fixed_px: int) -> bool:
    """True when the criteria are shown one cell a row: the status, value and threshold columns
    (``fixed_px`` together) leave the name less than ``title_px`` of a ``viewport_px`` wide tree."""
    return viewport_px - fixed_px < title_px


class VerdictRowDelegate(QStyledItemDelegate):
    """Draws and sizes the verdict tree's rows (see the module's text). ``compact`` is set by the panel
    when it hides the status, value and threshold columns."""

    def __init__(self, tree: QTreeWidget):
        super().__init__(tree)
        self.tree = tree
        self.compact = False

    # ------------------------------------------------------------ the row's text
    def rich_text(self, index: QModelIndex, selected: bool = False) -> str | None:
        """The row as rich text, or None where Qt draws the cell itself (a criterion in the column
        layout, the columns right of the first). Colours are left out on a selected row (its text takes
        the selection's colour)."""
        if index.column() != 0:
            return None
        depth = depth_of(index)
        if depth == 0:
            return self._spanned_row_text(index, selected)
        if not self.compact:
            return None
        return self._criterion_text(index, selected)

    def _cell(self, index: QModelIndex, col: int) -> str:
        return str(index.siblingAtColumn(col).data(Qt.ItemDataRole.DisplayRole) or "")

    def _spanned_row_text(self, index: QModelIndex, selected: bool) -> str:
        text = self._cell(index, 0)
        verdict = self._cell(index, 1)
        if verdict and text.startswith(verdict):  # a rule set: its verdict word first, in its colour
            colour = VERDICT_WORD_COLOURS.get(verdict, NEUTRAL_COLOUR)
            head = _span(verdict, None if selected else colour)
            return f"<b>{head}{html.escape(text[len(verdict):])}</b>"
        colour = _foreground(index)  # a score's row: grey or orange when it has no total
        return _span(factors_together(text), None if selected else colour)

    def _criterion_text(self, index: QModelIndex, selected: bool) -> str:
        name, status, value, threshold, lesions = (self._cell(index, c) for c in range(5))
        if status.isdigit():  # a score's factor: its points
            status = f"{status} pt"
        head = f"<b>{_span(status, None if selected else _foreground(index.siblingAtColumn(1)))}</b>"
        details = [value if value not in ("", "—") else "",
                   # "not verified" stays with its threshold (a lone "†" on the next line read as a footnote)
                   f"threshold {threshold.replace(' †', NBSP + '†')}" if threshold not in ("", "—") else "",
                   f"lesions {lesions}" if lesions else ""]
        line = " · ".join(d for d in details if d)
        text = f"{head}&nbsp; {html.escape(name)}"
        if line:
            text += "<br>" + _span(line, None if selected else DETAIL_COLOUR)
        return text

    # ------------------------------------------------------------ layout
    def text_width(self, index: QModelIndex) -> int:
        """The width the row's text wraps to: its cell (a spanned row: the tree's width) less the
        indentation of its depth and the cell's margins."""
        depth = depth_of(index)
        levels = depth + 1 if self.tree.rootIsDecorated() else depth
        indent = levels * self.tree.indentation()
        if depth == 0:  # spans every column
            cell = max(self.tree.viewport().width(), self.tree.header().length())
        else:
            cell = self.tree.header().sectionSize(0)
        margins = 2 * TEXT_MARGIN if self.rich_text(index) is not None else COLUMN_PADDING
        return max(cell - indent - margins, 40)

    def document(self, option: QStyleOptionViewItem, index: QModelIndex, text: str) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(1)
        doc.setHtml(text)
        doc.setTextWidth(self.text_width(index))
        return doc

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint(option, index)
        text = self.rich_text(index)
        if text is not None:
            option = QStyleOptionViewItem(option)
            self.initStyleOption(option, index)
            height = int(self.document(option, index, text).size().height()) + 4
            return QSize(hint.width(), max(hint.height(), height))
        if index.column() != 0:
            return hint
        # a criterion in the column layout: as tall as its name wrapped to the column (Qt's own size
        # hint does not know the width, so a wrapped name was cut to its first line)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        fm = QFontMetrics(option.font)
        height = fm.boundingRect(QRect(0, 0, self.text_width(index), 100000), int(Qt.TextFlag.TextWordWrap),
                                 text).height()
        return QSize(hint.width(), max(hint.height(), height + 4))

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text = self.rich_text(index, selected)
        if text is None:
            super().paint(painter, option, index)
            return
        opt.text = ""  # the background, selection and focus as the style draws them; the text below
        style = opt.widget.style() if opt.widget is not None else self.tree.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self.document(opt, index, text)
        context = QAbstractTextDocumentLayout.PaintContext()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.save()
        top = opt.rect.top() + max(0, (opt.rect.height() - int(doc.size().height())) // 2)
        painter.translate(QPointF(opt.rect.left() + TEXT_MARGIN, top))
        painter.setClipRect(QRectF(0, 0, opt.rect.width() - TEXT_MARGIN, opt.rect.height()))
        doc.documentLayout().draw(painter, context)
        painter.restore()


def factors_together(text: str) -> str:
    """A score's line breaks between its factors only: "Fong score: incomplete (node+ ?, DFI < 12 mo 0,
    …)" wrapped "node+" from its "?" and "12" from its "mo" in the side column."""
    head, bracket, inner = text.partition(" (")
    if not bracket or not inner.endswith(")"):
        return text
    return f"{head} (" + ", ".join(part.replace(" ", "\u00a0") for part in inner[:-1].split(", ")) + ")"


def _span(text: str, colour: str | None) -> str:
    return f"<span style='color:{colour}'>{html.escape(text)}</span>" if colour else html.escape(text)


def _foreground(index: QModelIndex) -> str | None:
    brush = index.data(Qt.ItemDataRole.ForegroundRole)
    if brush is None:
        return None
    colour = brush.color() if hasattr(brush, "color") else QColor(brush)
    return colour.name()
