"""A checkbox whose label wraps onto as many lines as it needs.

Textual's checkbox is one line high and cuts its label with an ellipsis; a label that says what
ticking it costs ("stops transactional mail too") must be read whole, at 80 columns too.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Checkbox


class WrappingCheckbox(Checkbox):
    DEFAULT_CSS = """
    WrappingCheckbox {
        max-width: 100%;
        height: auto;
        text-wrap: wrap;
    }
    """

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The wrapped label's height (the toggle button's own answer is always 1)."""
        return Widget.get_content_height(self, container, viewport, width)
