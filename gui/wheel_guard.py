"""No value changes on the mouse wheel by accident (issue 16).

Scrolling a form with the wheel used to change every combo box or spin box the
pointer passed over (the audit trail of a case showed brain imaging done
unset -> yes -> no within one second, and the wrong value reached the signed
PDF). One application-wide event filter guards every value field of the app,
including the editors the lesion table makes on the fly:

* a combo box, spin box (date edits included) or slider takes the wheel only
  when it has the keyboard focus *and* the user clicked it since it got it;
* otherwise the field never sees the wheel: the scroll area around it (the
  facts form, the lesion table) gets it and scrolls instead;
* guarded fields never take the focus from the wheel (``Qt.StrongFocus``).

:func:`install_wheel_guard` is idempotent; the main window calls it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar, QWidget

_CLICKED = "_oligoplan_wheel_clicked"


def guarded_field(obj: QObject) -> QWidget | None:
    """The value field ``obj`` belongs to (itself, or the combo/spin box whose part it is), if any."""
    widget = obj if isinstance(obj, QWidget) else None
    for _ in range(3):  # a spin box's line edit, an editable combo's line edit
        if widget is None:
            return None
        if isinstance(widget, (QComboBox, QAbstractSpinBox)):
            return widget
        if isinstance(widget, QAbstractSlider) and not isinstance(widget, QScrollBar):
            return widget
        if widget.isWindow():  # an open combo's list is a pop-up window of its own: its wheel scrolls it
            return None
        widget = widget.parentWidget()
    return None


def takes_wheel(field: QWidget) -> bool:
    """True when the user clicked ``field`` and it still has the focus."""
    return bool(field.hasFocus() and field.property(_CLICKED))


#: the focus comes back to the field from its own list, from another window, or from the click itself;
#: any other way in (Tab, a shortcut, a program) needs a new click before the wheel changes the value
_KEEPS_CLICK = (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason,
                Qt.FocusReason.MouseFocusReason)


class WheelGuard(QObject):
    """The event filter (installed on the QApplication, so it sees every widget's events)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in (QEvent.Type.Wheel, QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn,
                        QEvent.Type.Polish):
            return False
        field = guarded_field(obj)
        if field is None:
            return False
        if kind == QEvent.Type.Polish and obj is field:
            if field.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.MouseButtonPress:
            field.setProperty(_CLICKED, True)
        elif kind == QEvent.Type.FocusIn and obj is field and event.reason() not in _KEEPS_CLICK:
            field.setProperty(_CLICKED, False)
        elif kind == QEvent.Type.Wheel and not takes_wheel(field):
            return _scroll_instead(field, event)
        return False


def _scroll_instead(field: QWidget, event: QWheelEvent) -> bool:
    """Give the wheel to the scroll area around ``field`` (the form scrolls); the field never sees it."""
    area = field.parentWidget()
    while area is not None and not isinstance(area, QAbstractScrollArea):
        area = area.parentWidget()
    if area is None:
        event.ignore()  # Qt offers an ignored (real) wheel event to the parents
        return True
    viewport = area.viewport()
    pos = QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint()))
    forwarded = QWheelEvent(pos, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                            event.buttons(), event.modifiers(), event.phase(), event.inverted())
    QApplication.sendEvent(viewport, forwarded)
    event.accept()
    return True


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard:
    """Install the guard on ``app`` (the running QApplication) once; returns it."""
    app = app or QApplication.instance()
    guard = app.findChild(WheelGuard, "wheel_guard")
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName("wheel_guard")
        app.installEventFilter(guard)
    return guard
