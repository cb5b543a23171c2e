"""The Emma adapter: `adapter` (the Provider), `wire` (requests and answers as
the API spells them); the same module names for all five platforms."""
