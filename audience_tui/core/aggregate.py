"""Member counts grouped by a field: server-side where the platform has it, else by scanning.

The scan walks every page of the view (in parallel within the platform's limits, see core.scan),
asking only for the field it counts and those of app-side conditions (an adapter may then parse
nothing else), counts as it goes and reports the partial result after each page, so a chart can
grow while the scan runs and a cancelled scan still shows what it counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .errors import UnsupportedError, ValidationError
from .filters import parse_date
from .models import Aggregate, Bucket, Column, FieldSpec, FieldType
from .scan import View, columns

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


def tally(counts: Counter[Hashable], spec: FieldSpec, column: Column) -> None:
    """Add the buckets of a page's values to `counts`: each different value's once, weighted."""
    for value, count in zip(column.values, column.counts, strict=True):
        for bucket in bucket_keys(spec, value):
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

    async for column in columns(view, spec.name, progress=progress):
        kept += column.size
        tally(counts, spec, column)
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


def shares(counts: Sequence[int], whole: int | None = None, decimals: int = 1) -> list[float]:
    """Each count's share of `whole` (by default their sum) in percent, to `decimals` places.

    When the counts split the whole (their sum is it), the shares are rounded by largest
    remainder, so the ones shown add up to exactly 100 rather than 99.9 or 100.1; when they do
    not (a member counted under several values, or the counts of a partial scan), each share is
    rounded alone, as their sum means nothing."""
    total = sum(counts) if whole is None else whole
    if total <= 0:
        return [0.0 for _ in counts]
    scale = 100 * 10**decimals  # the units shown: tenths of a percent for one decimal
    if sum(counts) != total:
        return [round(count * scale / total) / 10**decimals for count in counts]
    units = [count * scale // total for count in counts]
    # the units left over go to the largest remainders (ties: the larger count, then the first)
    left = scale - sum(units)
    order = sorted(range(len(counts)), key=lambda i: (-(counts[i] * scale % total), -counts[i], i))
    for i in order[:left]:
        units[i] += 1
    return [unit / 10**decimals for unit in units]
