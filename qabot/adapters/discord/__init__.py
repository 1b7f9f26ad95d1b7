"""The Discord front-end: ``bot`` (start-up, sharding, signals), ``cog`` (commands, mentions),
``limits`` (the queue and cooldowns), ``conversations`` (follow-up memory), ``format`` (embeds).

``build_bot(qa, settings)`` returns the configured, unstarted bot; ``run(settings)`` is
``qabot discord``.
"""

from __future__ import annotations

from qabot.adapters.discord.bot import DiscordBot, build_bot, run, serve

__all__ = ["DiscordBot", "build_bot", "run", "serve"]
