"""Where the sandbox mounts each platform, and its demo account's credentials (in the README).

Apart from the platform modules so that the demo accounts can be listed, and the app's first frame
drawn, before the sandbox and Starlette are imported (see `demo.DeferredSandbox`).
"""

from __future__ import annotations

from typing import NamedTuple

PLATFORMS = ("placewise", "ownpage", "kajabi", "emma", "heyloyalty")

PLACEWISE_CUSTOMER_ID = 1000941
EMMA_ACCOUNT_ID = 1771234


class DemoCredentials(NamedTuple):
    prefix: str  # where the platform is mounted in the sandbox
    settings: dict[str, str]
    secrets: dict[str, str]


DEMO: dict[str, DemoCredentials] = {
    "placewise": DemoCredentials(
        "/placewise",
        {"customer": str(PLACEWISE_CUSTOMER_ID), "product_name": "audience-tui"},
        {"token": "pw-demo-7f3c9a1e5b"},
    ),
    "ownpage": DemoCredentials(
        "/ownpage", {"client": "demo-presse"}, {"api_key": "op-demo-7f3c9a2e51"}
    ),
    "kajabi": DemoCredentials(
        "/kajabi",
        {"client_id": "kjb-demo-client-7Qx2"},
        {"client_secret": "kjb-demo-secret-V9m4sLw8"},
    ),
    "emma": DemoCredentials(
        "/emma",
        {"account_id": str(EMMA_ACCOUNT_ID)},
        {"public_key": "demo-emma-public-0a1b2c", "private_key": "demo-emma-private-9f8e7d"},
    ),
    "heyloyalty": DemoCredentials(
        "/heyloyalty",
        {},
        {"api_key": "demo-heyloyalty-key", "api_secret": "demo-heyloyalty-secret"},
    ),
}
