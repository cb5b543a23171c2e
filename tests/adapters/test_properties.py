"""Property tests (hypothesis): each adapter's server-side filter translation returns exactly the
members the reference evaluation (core.filters.matches) picks from the same list's rows; the
payload parsers answer any JSON document with a member/list or an InvalidResponseError, nothing
else."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_tui.core.errors import InvalidResponseError, ValidationError
from audience_tui.core.filters import matches
from audience_tui.core.models import (
    LIST_OPERATORS,
    UNARY_OPERATORS,
    Audience,
    Condition,
    FieldSpec,
    Filter,
    Member,
    MemberStatus,
    Query,
)
from audience_tui.core.platforms import create
from audience_tui.core.scan import collect, prepare
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.providers.emma import wire as emma_parse
from audience_tui.providers.heyloyalty import wire as heyloyalty_wire
from audience_tui.providers.kajabi import wire as kajabi_wire
from audience_tui.providers.ownpage import wire as ownpage_parse
from audience_tui.providers.placewise import wire as placewise
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.store import Store, copy_store

SERVER_FILTERING = ["heyloyalty", "kajabi", "placewise", "ownpage"]
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def shared_sandbox(sandbox_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """One sandbox for the module: the property tests only read."""
    path = tmp_path_factory.mktemp("properties") / "sandbox.sqlite"
    copy_store(sandbox_template, path)
    return Sandbox.start(Store.open(path, big_lists=False), FaultSpec())


class Platform:
    """A demo account's smallest list: its fields and every row, read once."""

    def __init__(self, sandbox: Sandbox, platform: str) -> None:
        self.sandbox = sandbox
        self.account, self.secrets = next(
            (a, s) for a, s in demo_accounts() if a.platform == platform
        )
        self.audience, self.fields, self.rows = asyncio.run(self._load())

    async def _load(self) -> tuple[Audience, list[FieldSpec], list[Member]]:
        async with create(self.account, self.secrets, transport=self.sandbox.transport) as p:
            audiences = [a for a in await p.audiences() if a.member_count is not None]
            audience = min(audiences, key=lambda a: a.member_count or 0)
            view = await prepare(p, audience, Query())
            return audience, view.fields, await collect(view)

    def server_side(self, condition: Condition) -> tuple[set[str], set[str]]:
        """(ids the platform returns for `condition`, ids the reference evaluation picks)."""

        async def run() -> tuple[set[str], set[str]]:
            async with create(self.account, self.secrets, transport=self.sandbox.transport) as p:
                try:
                    view = await prepare(p, self.audience, Query(Filter((condition,))))
                except ValidationError:  # refused before anything is sent: not a translation
                    return set(), set()
                assert not view.plan.local, view.plan  # only server-side conditions drawn
                got = {m.id for m in await collect(view)}
            wanted = {m.id for m in self.rows if matches(view.query.filter, m, view.types)}
            return got, wanted

        return asyncio.run(run())


@pytest.fixture(scope="module")
def platforms(shared_sandbox: Sandbox) -> Iterator[dict[str, Platform]]:
    yield {name: Platform(shared_sandbox, name) for name in SERVER_FILTERING}


def conditions(platform: Platform) -> st.SearchStrategy[Condition]:
    """A condition the platform evaluates itself, with values taken from (or near) its rows."""
    # Fields the unfiltered view never returns cannot be checked against its rows (Placewise's
    # member documents lack the reporting-only fields, e.g. optin_platform: see the report).
    shown = {k for m in platform.rows for k, v in m.fields.items() if v not in (None, "", [])}
    specs = [s for s in platform.fields if s.server_operators and s.name in shown]
    assert specs, platform.account.name

    @st.composite
    def build(draw: st.DrawFn) -> Condition:
        spec = draw(st.sampled_from(specs))
        op = draw(st.sampled_from(sorted(spec.server_operators)))
        seen = [m.fields.get(spec.name) for m in platform.rows]
        flat = [x for v in seen for x in (v if isinstance(v, list) else [v])]
        values = sorted(spec.options or {str(v) for v in flat if v not in (None, "")})
        near = st.sampled_from(values) if values else st.text(max_size=4)
        variants = [near, near.map(lambda v: v[: max(1, len(v) // 2)]), near.map(str.upper)]
        one = st.one_of(*variants)
        if op in UNARY_OPERATORS:
            return Condition(spec.name, op)
        if op in LIST_OPERATORS:
            return Condition(spec.name, op, draw(st.lists(near, min_size=1, max_size=3)))
        return Condition(spec.name, op, draw(one))

    return build()


@pytest.mark.parametrize("name", SERVER_FILTERING)
def test_server_filters_agree_with_the_reference(name: str, platforms: dict[str, Platform]) -> None:
    platform = platforms[name]
    assert platform.rows

    @SETTINGS
    @given(conditions(platform))
    def check(condition: Condition) -> None:
        got, wanted = platform.server_side(condition)
        assert got == wanted, (condition, sorted(got ^ wanted)[:5])

    check()


# --- parsers ------------------------------------------------------------------------------------
KEYS = [
    "id",
    "email",
    "status",
    "fields",
    "member_id",
    "member_group_id",
    "group_name",
    "data",
    "items",
    "meta",
    "attributes",
    "relationships",
    "name",
    "first_name",
    "last_name",
    "members",
    "records",
    "pagination",
    "total",
    "count",
    "type",
    "links",
    "next",
    "created_at",
    "consents",
    "email_status",
    "subscribed",
    "values",
    "format",
    "options",
    "field_type",
    "shortcut_name",
    "display_name",
    "import_id",
    "state",
    "error",
    "results",
    "cursor",
    "counts",
    "active_count",
    "optout_count",
    "error_count",
    "member_status_id",
    "member_since",
    "list_id",
    "page",
    "per_page",
    "included",
    "result_type",
    "timeseries",
    "interval",
    "series",
    "subscribers",
    "nb_subscribed",
    "created",
    "updated",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["a", "o", "e", "active", "2024-01-02T03:04:05Z", "@D:2010-11-12T11:23:45"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=3)), inner, max_size=6),
    ),
    max_leaves=20,
)


PARSERS: dict[str, Callable[[Any], object]] = {
    "emma.member": lambda d: emma_parse.parse_member(d, "GET /x"),
    "emma.group": lambda d: emma_parse.parse_group(d, "GET /x"),
    "emma.field": lambda d: emma_parse.parse_field(d, "GET /x"),
    "emma.import": lambda d: emma_parse.parse_import(d, "GET /x"),
    "emma.count": lambda d: emma_parse.parse_count(d, "GET /x"),
    "heyloyalty.lists": lambda d: heyloyalty_wire.parse_lists(d),
    "heyloyalty.fields": lambda d: heyloyalty_wire.parse_fields(d, "GET /x"),
    "heyloyalty.page": lambda d: heyloyalty_wire.parse_page(d, "GET /x", "1", MemberStatus.ACTIVE),
    "kajabi.listing": lambda d: kajabi_wire.parse_listing(d, "GET /x", "contacts"),
    "kajabi.single": lambda d: kajabi_wire.parse_single(d, "GET /x", "contacts"),
    "ownpage.documents": lambda d: ownpage_parse.documents(d, "GET /x"),
    "ownpage.counts": lambda d: ownpage_parse.counts(d, "GET /x"),
    "ownpage.summary": lambda d: ownpage_parse.summary(d, 1, "GET /x"),
    "placewise.member": lambda d: placewise.parse_member(d, "club", "GET /x"),
    "placewise.record": lambda d: placewise.parse_record(d, "club", "GET /x"),
    "placewise.total": lambda d: placewise.pagination_total(d, "GET /x"),
    "placewise.club": lambda d: placewise.parse_club(d, "GET /x"),
    "placewise.records": lambda d: placewise.parse_records(d, "GET /x"),
    "placewise.timeseries": lambda d: placewise.parse_timeseries(d, "members", "GET /x"),
    "placewise.bulk": lambda d: placewise.parse_bulk(d, "club", "GET /x"),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parsers_never_crash_on_generated_documents(name: str) -> None:
    parse = PARSERS[name]

    @settings(max_examples=60, deadline=None)
    @given(DOCUMENTS)
    def check(document: Any) -> None:
        try:
            parse(document)
        except InvalidResponseError as exc:  # the one failure allowed, and it says what it is
            assert str(exc)

    check()
