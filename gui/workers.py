"""Long work in a thread pool, with progress, cancel, and results on the GUI thread.

Work functions are plain core calls taking the core conventions
``progress(done, total, message)`` and ``cancel() -> bool``; they raise
:class:`core.errors.Cancelled` when the cancel check says so. One task runs at
a time: starting another cancels the current one, whose late result is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import Cancelled

log = logging.getLogger("oligoplan.gui")

WorkFn = Callable[..., Any]  # fn(progress=..., cancel=...) -> result


class _TaskSignals(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class Task(QRunnable):
    """One piece of work for the pool. Signals arrive queued on the GUI thread."""

    def __init__(self, fn: WorkFn, description: str):
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.description = description
        self.signals = _TaskSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, done: int, total: int, message: str = "") -> None:
        self.signals.progress.emit(int(done), int(total), str(message))

    def run(self) -> None:
        try:
            result = self.fn(progress=self._progress, cancel=self._cancel.is_set)
        except Cancelled:
            self.signals.cancelled.emit()
            return
        except Exception as exc:  # delivered to the GUI thread's error boundary
            self.signals.failed.emit(exc)
            return
        if self._cancel.is_set():
            self.signals.cancelled.emit()
        else:
            self.signals.done.emit(result)


class TaskRunner(QObject):
    """Runs one :class:`Task` at a time on a private pool.

    Signals
    -------
    started(str)
        A task began (its description).
    progress(int, int, str)
        done, total, message of the current task.
    finished()
        The current task ended (done, failed or cancelled); the runner is idle.
    """

    started = Signal(str)
    progress = Signal(int, int, str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._current: Task | None = None
        self._tasks: set[Task] = set()  # keep Python wrappers alive while they run
        # Ended tasks are kept a little longer: the pool thread may still be
        # returning from run() when the GUI thread has handled the last signal.
        self._ended: deque[Task] = deque(maxlen=4)

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def current(self) -> Task | None:
        return self._current

    def start(
        self,
        fn: WorkFn,
        description: str,
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
    ) -> Task:
        """Run ``fn(progress=, cancel=)`` in the pool; call back on the GUI thread."""
        if self._current is not None:
            self._current.cancel()
        task = Task(fn, description)
        self._tasks.add(task)
        self._current = task
        task.signals.progress.connect(lambda d, t, m, task=task: self._on_task_progress(task, d, t, m))
        task.signals.done.connect(lambda r, task=task: self._on_task_end(task, on_done, r))
        task.signals.failed.connect(lambda e, task=task: self._on_task_end(task, on_failed, e))
        task.signals.cancelled.connect(lambda task=task: self._on_task_end(task, None, None))
        self.started.emit(description)
        self._pool.start(task)
        return task

    def cancel(self) -> None:
        """Ask the current task to stop; ``finished`` follows when it has."""
        if self._current is not None:
            self._current.cancel()

    def wait(self, timeout_ms: int = -1) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel and wait (the window is closing)."""
        self.cancel()
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    # ------------------------------------------------------------- internals
    def _on_task_progress(self, task: Task, done: int, total: int, message: str) -> None:
        if task is self._current and not task.is_cancelled():
            self.progress.emit(done, total, message)

    def _on_task_end(self, task: Task, callback, value) -> None:
        self._tasks.discard(task)
        self._ended.append(task)
        if task is not self._current:
            return  # superseded by a newer task: drop its result
        self._current = None
        try:
            if callback is not None and not task.is_cancelled():
                callback(value)
        finally:
            self.finished.emit()
