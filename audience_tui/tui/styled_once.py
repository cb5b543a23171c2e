"""Screens styled as they mount, and not all over again as they first show.

Textual restyles the whole tree of a screen each time it resumes, to catch up with what changed
while another screen covered it (a theme, the app's focus). The first resume comes right after
the screen mounted, when every widget has just been styled and nothing has changed since: its
restyle is the same work again: ~21 ms of the filter builder's opening (58 widgets), and 6-14%
of the Pilot tests' CPU. A later resume (an installed screen shown again) still restyles.
"""

from __future__ import annotations

from textual import events


class StyledOnce:
    """Mix into a Screen (before it in the bases)."""

    _shown_before = False

    # Textual calls the ScreenResume handler of every class in the MRO, this one before the
    # Screen's own, which reads `refresh_styles`.
    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._shown_before:
            self._shown_before = True
            event.refresh_styles = False
