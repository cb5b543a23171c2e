"""The emulated platforms' JSON answers (sandbox/responses.py) read as Starlette's would."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette import responses

from audience_tui.sandbox.responses import JSONResponse

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def exponents_alike(text: str) -> str:
    """`1e+16` and `1e-07` (Python's) written as msgspec writes them: `1e16`, `1e-7`."""
    return re.sub(r"(?<=\d)e\+?(-?)0*(\d)", r"e\1\2", text)


@given(values)
def test_an_answer_reads_as_starlettes_own_would(value: Any) -> None:
    ours, theirs = JSONResponse(value).body, responses.JSONResponse(value).body
    assert json.loads(ours) == json.loads(theirs) == value
    assert exponents_alike(ours.decode()) == exponents_alike(theirs.decode())  # compact, UTF-8
