"""click's own errors as the ``qabot`` command shows them: one line, inert, saying where help is."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from qabot.text import visible


@contextlib.contextmanager
def click_errors() -> Iterator[None]:
    """click's errors in one line (a usage error says where help is, not the usage), inert (they quote what was typed)."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # "qabot" alone: its "error" is the help, shown as written
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "qabot"
        one = click.ClickException(f"{visible(exc.format_message())} (see '{where} --help')")
        one.exit_code = exc.exit_code
        raise one from None
    except click.ClickException as exc:
        exc.message = visible(exc.message)
        raise
