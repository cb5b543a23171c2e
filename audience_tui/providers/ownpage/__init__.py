"""The Ownpage adapter: `adapter` (the Provider), `wire` (requests and answers as
the API spells them), `auth` (signing in); the same module names for all five platforms."""
