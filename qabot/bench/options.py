"""Which of ``qabot bench``'s options go together, checked before anything is measured."""

from __future__ import annotations

import click


def check(ctx: click.Context) -> None:
    """A one-line ``click.UsageError`` where the options given to ``qabot bench`` (``ctx``) do not go together."""
    given = ctx.params
    if given["scale_only"] and not given["scale"]:
        raise click.UsageError("--scale-only needs --scale N")
    if given["formats_only"] and not given["scale_only"] and not given["formats"]:
        raise click.UsageError("--formats-only needs --formats DIR")
