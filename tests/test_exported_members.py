"""``qabot.__all__`` is exactly what ``import qabot`` offers, and the names other code imports are there."""

from __future__ import annotations

import subprocess
import sys
import types

import qabot

CONTRACT = ("QABot", "Answer", "Excerpt", "Citation", "QABotError", "Settings")


def test_all_exports_are_listed_and_all_listed_names_exist() -> None:
    public = {
        name for name in dir(qabot)  # each loads where it is first used
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(getattr(qabot, name), types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    assert public == set(qabot.__all__)
    assert set(CONTRACT) <= public


def test_the_names_other_code_imports_keep_working() -> None:
    from qabot.adapters.discord import build_bot as same
    from qabot.adapters.discord_bot import build_bot

    assert build_bot is same


def test_importing_qabot_loads_nothing_of_the_library_until_a_name_is_used() -> None:
    """So that the ``qabot`` command's entry point (``qabot.entry``) runs before the library loads."""
    code = ("import sys, qabot\nprint(sorted(m for m in sys.modules if m.startswith('qabot.')))\n"
            "from qabot import QABot, Answer\nprint(QABot.__module__, Answer.__module__, 'qabot.bot' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == ["[]", "qabot.bot qabot.models True"], result.stderr
    assert qabot.Refresh is qabot.index.changes.Refresh
    try:
        qabot.NoSuchName  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'qabot' has no attribute 'NoSuchName'"
    else:
        raise AssertionError("qabot.NoSuchName")


def test_importing_qabot_changes_no_environment_or_log_level() -> None:
    code = (
        "import logging, os\n"
        "before = dict(os.environ)\n"
        "levels = {n: logging.getLogger(n).level for n in ('', 'bm25s', 'qabot')}\n"
        "import qabot, qabot.cli, qabot.index, qabot.search, qabot.embedding\n"
        "assert dict(os.environ) == before, set(os.environ) ^ set(before)\n"
        "assert {n: logging.getLogger(n).level for n in levels} == levels\n"
        "print('clean')\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.strip() == "clean", result.stderr
