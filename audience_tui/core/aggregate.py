"""Member counts grouped by a field: server-side where the platform has it, else by scanning.

The scan walks every page of the view (in parallel within the platform's limits, see core.scan),
asking only for the field it counts and those of app-side conditions (an adapter may then parse
nothing else), counts as it goes and reports the partial result after each page, so a chart can
grow while the scan runs and a cancelled scan still shows what it counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

from .errors import UnsupportedError, ValidationError
from .filters import parse_date
from .models import Aggregate, Bucket, FieldSpec, FieldType
from .scan import View, values

EMPTY = "(not set)"  # as Placewise labels a missing value in its own counts
UpdateCallback = Callable[[Aggregate], None]


def field_spec(view: View, name: str) -> FieldSpec:
    for spec in view.fields:
        if name.casefold() in (spec.name.casefold(), spec.label.casefold()):
            return spec
    names = ", ".join(spec.name for spec in view.fields)
    raise ValidationError(f"unknown field {name!r}; this list has: {names}")


def bucket_keys(spec: FieldSpec, value: Any) -> list[Hashable]:
    """The bucket(s) one member's value falls in (a multi-choice value counts once per option)."""
    if value is None or value == "" or value == []:
        return [EMPTY]
    if spec.type is FieldType.MULTI and isinstance(value, list | tuple):
        return [str(v) for v in value]
    if spec.type is FieldType.BOOLEAN:
        return ["yes" if value in (True, "true", "1", 1) else "no"]
    if spec.type is FieldType.DATE:
        day = parse_date(value)
        return [str(day.year) if day else EMPTY]
    if isinstance(value, dict | list):
        return [str(value)]
    return [str(value)]


def label_of(spec: FieldSpec, key: Hashable) -> str:
    if spec.options and str(key) in spec.options:
        return spec.options[str(key)]
    return str(key)


def to_aggregate(
    spec: FieldSpec, counts: Counter[Hashable], read: int, total: int | None, complete: bool
) -> Aggregate:
    """A scan's result so far: `read` members read of `total` (the view's size, when known);
    once complete, `total` is the members counted (app-side conditions may keep fewer)."""
    buckets = [Bucket(label_of(spec, key), count, key) for key, count in counts.most_common()]
    return Aggregate(spec.name, buckets, total, source="scan", complete=complete, scanned=read)


class _Alone:
    """A value that cannot be hashed (an object), counted on its own."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _key(value: Any) -> tuple[type, Hashable]:
    """A member's value as a Counter key: equal values share one, but True, 1 and 1.0 do not
    (their buckets may differ), nor do lists of them."""
    is_list = isinstance(value, list)
    frozen = (tuple(value), tuple(map(type, value))) if is_list else value
    try:
        hash(frozen)
    except TypeError:
        return _Alone, _Alone(value)
    return list if is_list else type(value), frozen


def _value(key: tuple[type, Any]) -> Any:
    kind, held = key
    if kind is _Alone:
        return held.value
    return list(held[0]) if kind is list else held


def tally(counts: Counter[Hashable], spec: FieldSpec, values: list[Any]) -> None:
    """Add the buckets of `values` (one member's value each) to `counts`. Equal values are
    counted together first, and each different value is turned into its buckets once: a page
    of 5,000 members holds a few hundred different values, and a date's year is parsed once."""
    for key, count in Counter(map(_key, values)).items():
        for bucket in bucket_keys(spec, _value(key)):
            counts[bucket] += count


async def scan(
    view: View,
    spec: FieldSpec,
    on_update: UpdateCallback | None = None,
    max_values: int | None = None,
) -> Aggregate:
    """Count by reading every member; with `max_values`, give up (ValidationError) once the
    field has more different values than that (an email or id: no chart, and each partial
    result would cost more than the page it counts)."""
    counts: Counter[Hashable] = Counter()
    kept = read = 0
    total: int | None = None

    def progress(seen: int, known_total: int | None) -> None:
        nonlocal read, total
        read, total = seen, known_total
        if on_update is not None:
            on_update(to_aggregate(spec, counts, read, total, complete=False))

    async for found in values(view, spec.name, progress=progress):
        kept += len(found)
        tally(counts, spec, found)
        if max_values is not None and len(counts) > max_values:
            raise ValidationError(
                f"{spec.label} has more than {max_values:,} different values: too many to chart"
            )
    result = to_aggregate(spec, counts, read, kept, complete=True)
    if on_update is not None:
        on_update(result)
    return result


def counted_by_platform(view: View, spec: FieldSpec) -> bool:
    """Whether the platform is asked for these counts (it may still decline, then we scan)."""
    # Server-side counts cover the whole list under the server filter: not a status view.
    server_can = not view.plan.local and view.query.status is None
    return view.provider.capabilities.server_aggregates and spec.aggregatable and server_can


async def aggregate(
    view: View,
    field: str,
    on_update: UpdateCallback | None = None,
    max_values: int | None = None,
) -> Aggregate:
    """Counts of the view's members by `field`; asks the platform first when it can answer
    (see `scan` for `max_values`)."""
    spec = field_spec(view, field)
    if counted_by_platform(view, spec):
        try:
            result = await view.provider.aggregate(view.audience, spec.name, view.plan.server)
        except UnsupportedError:
            pass
        else:
            if on_update is not None:
                on_update(result)
            return result
    return await scan(view, spec, on_update, max_values)
