"""Screens whose background work (workers, timers) stops before the screen comes apart.

Textual takes a closing screen's widgets away first and cancels the screen's workers only after
that, in the screen's Unmount; and an app that exits cancels every worker first, whose cleanup may
start new work. In those windows a worker that resumes finds its widgets gone (`NoMatches`, a
crash report for nothing). A screen that mixes in `BackgroundWork` has its workers cancelled as
soon as it begins closing, before any widget goes, starts no new worker from then on, and offers
`closing` to code that would schedule more (a poll's `finally`). A worker's coroutine that never
ran is closed, never left to warn that it "was never awaited".
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, cast

from textual.messages import Prune

if TYPE_CHECKING:
    from textual.widget import Widget
    from textual.worker import Worker


class BackgroundWork:
    """Mix into a Screen or widget (before it in the bases) that runs workers or timers."""

    @property
    def closing(self) -> bool:
        """True from the moment the screen or the app begins closing: draw nothing, start
        nothing. (A screen not shown yet is not closing: the members screen starts reading its
        rows before it is pushed.)"""
        node = cast("Widget", self)
        return node._pruning or node._closing or node._closed or node.app._exit

    # Textual calls the Prune handler of every class in the MRO: this one runs before Textual's
    # own, which begins taking the screen's widgets away.
    def _on_prune(self, event: Prune) -> None:
        node = cast("Widget", self)
        node.workers.cancel_node(node)

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Worker[Any]:
        """Textual's `run_worker`, cancelled before it starts once the screen is closing. A
        coroutine handed in is closed when its worker ends: one cancelled before it ran (the
        screen closing, or replaced by an `exclusive` one in the same frame) would otherwise
        never be awaited, and Python warns about it when it is collected."""
        worker: Worker[Any] = super().run_worker(work, *args, **kwargs)  # type: ignore[misc]
        if inspect.iscoroutine(work):
            task = worker._task  # set as the worker starts, which run_worker does at once
            if task is not None:
                task.add_done_callback(lambda _: work.close())  # no-op once it has run
        if self.closing:
            worker.cancel()
        return worker
