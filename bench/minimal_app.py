"""The start-up baseline: the smallest Textual app with a header, a line of text and a footer."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Label


class Minimal(App[None]):
    BINDINGS = [("q", "quit", "Quit")]  # noqa: RUF012

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("minimal app ready")
        yield Footer()


if __name__ == "__main__":
    Minimal().run()
