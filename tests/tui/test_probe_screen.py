"""`p` on the accounts screen probes the highlighted account and shows each verdict."""

from __future__ import annotations

from textual.widgets import Label
from tui_helpers import SIZE, screen_text, settle

from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.accounts import AccountsScreen
from audience_tui.tui.screens.probe import ProbeScreen
from audience_tui.tui.widgets.data_table import DataTable


async def test_p_probes_the_highlighted_account(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        table = app.screen.query_one(DataTable)
        row = [a.name for a in session.accounts].index("demo-placewise")
        table.move_cursor(row=row)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProbeScreen)
        checks = app.screen.query_one("#checks", DataTable)
        verdicts = [checks.get_cell(str(i), "Verdict").plain for i in range(checks.row_count)]
        assert verdicts == ["confirmed"] * 4  # reporting auth, cursor keys, consent, DELETE
        state = app.screen.query_one("#state", Label).render()
        assert "4 confirmed" in str(state) and "probe-demo-placewise" in str(state)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)


async def test_the_highlighted_check_is_shown_whole_at_80_columns(session: Session) -> None:
    """The table cuts a long assumption; the line below it shows the check in full, wrapped."""
    app = AudienceApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=[a.name for a in session.accounts].index("demo-heyloyalty"))
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProbeScreen)
        check = app.screen.checks[0]
        shown = " ".join(screen_text(app).replace("│", " ").split())
        assert " ".join(check.assumption.split()) in shown
