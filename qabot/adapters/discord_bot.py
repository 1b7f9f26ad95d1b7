"""The import path older code uses: ``from qabot.adapters.discord_bot import build_bot``.

The Discord front-end lives in ``qabot.adapters.discord``; this module re-exports it.
"""

from __future__ import annotations

from qabot.adapters.discord.bot import DiscordBot, bot_token, build_bot, run, serve

__all__ = ["DiscordBot", "bot_token", "build_bot", "run", "serve"]
