"""Which of ``qabot bench``'s options go together, checked before anything is measured: an option given where it
does not apply is a one-line usage error, as ``qabot eval``'s are, never silently ignored."""

from __future__ import annotations

import click
from click.core import ParameterSource

from qabot.errors import IndexStoreError

# The options only the full run reads (by parameter name); and what each run of one part alone leaves out.
_FULL_RUN = ("dev", "scifact", "scifact_docs", "queries", "peer", "memory", "live", "living")
_LEFT_OUT = {"scale_only": (*_FULL_RUN, "runs", "backends", "formats"),
             "formats_only": (*_FULL_RUN, "scale", "factories", "engines", "milvus_uri")}


def check(ctx: click.Context) -> None:
    """A one-line ``click.UsageError`` where the options given to ``qabot bench`` (``ctx``) do not go together."""
    given = ctx.params
    if given["scale_only"] and given["formats_only"]:
        raise click.UsageError("give --scale-only or --formats-only, not both")
    if given["scale_only"] and not given["scale"]:
        raise click.UsageError("--scale-only needs --scale N")
    if given["formats_only"] and not given["formats"]:
        raise click.UsageError("--formats-only needs --formats DIR")
    for only, left_out in _LEFT_OUT.items():
        if given[only] and (typed := [t for name in left_out if (t := _typed(ctx, name))]):
            raise click.UsageError(f"{typed[0]} does not apply to --{only.replace('_', '-')}")
    for name in ("factories", "engines", "milvus_uri"):
        if given[name] and not given["scale"]:
            raise click.UsageError(f"{_typed(ctx, name)} applies to --scale only")
    if given["milvus_uri"] and "milvus" not in given["engines"]:
        raise click.UsageError("--milvus-uri applies to --engine milvus only")
    if given["factories"]:  # a typo would be found after the passages are made (and SciFact measured)
        from qabot.bench.synthetic import SyntheticEmbedder
        from qabot.index.embedded.dense import check_factory

        for factory in given["factories"]:
            try:
                check_factory(factory, SyntheticEmbedder().dimension, "--factory")
            except IndexStoreError as exc:
                raise click.UsageError(str(exc)) from None


def _typed(ctx: click.Context, name: str) -> str | None:
    """The option ``name`` as it was typed (``--no-live`` for ``live`` off), None where it was not given."""
    if ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
        return None
    option = next(p for p in ctx.command.params if p.name == name)
    assert isinstance(option, click.Option)
    return option.opts[0] if ctx.params[name] or not option.secondary_opts else option.secondary_opts[0]
