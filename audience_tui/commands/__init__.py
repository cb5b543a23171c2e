"""The scriptable subcommands; each module registers its parsers with `register(subparsers)`.

A handler is `async def run(args, ctx) -> int` (set as `func` on its parser); `ctx` is the
cli.Context holding the session, the output stream and the format helpers.
"""
