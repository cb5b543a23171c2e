"""The helpers the adapters' wire modules share."""

from __future__ import annotations

import pytest

from audience_tui.providers.wire import object_or_empty


@pytest.mark.parametrize("value", [None, [], "x", 3, True])
def test_anything_but_an_object_reads_as_an_empty_one(value: object) -> None:
    assert object_or_empty(value) == {}


def test_an_object_is_kept_as_it_is() -> None:
    doc = {"total_count": 3}
    assert object_or_empty(doc) is doc
