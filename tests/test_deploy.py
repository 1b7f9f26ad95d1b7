"""The service files (deploy/qabot-discord.service, Dockerfile, compose.yaml) agree with the code they run.

They cannot be run here (no systemd as PID 1, no container engine); what can drift
without anyone noticing is checked: the pinned torch, the command, and the folders the
bot must be able to write. `systemd-analyze verify` and hadolint were run by hand (README).
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from qabot.feedback.store import state_dir
from qabot.settings import load_settings

REPO = Path(__file__).resolve().parent.parent


def test_the_dockerfile_installs_the_torch_that_constraints_pin() -> None:
    pinned = re.search(r"^torch==(\S+)$", (REPO / "constraints.txt").read_text(), re.MULTILINE).group(1)
    dockerfile = (REPO / "Dockerfile").read_text()
    assert f"torch=={pinned}" in dockerfile and "-c constraints.txt" in dockerfile


def test_the_systemd_unit_runs_the_bot_and_may_write_what_it_writes(tmp_path: Path) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # keys are case-sensitive
    unit.read(REPO / "deploy" / "qabot-discord.service")
    service = unit["Service"]
    home = Path(service["WorkingDirectory"])
    assert service["ExecStart"] == f"{home}/.venv/bin/qabot discord"
    # The defaults, relative to the working folder where .env is read: the index and the state database.
    settings = load_settings(_env_file=None)
    index = home / settings.index_dir
    state = home / state_dir(settings).relative_to(Path.cwd())
    assert service["ReadWritePaths"].split() == [str(index), str(state)]
    assert service["ProtectSystem"] == "strict" and service["Restart"] == "on-failure"


def test_the_steps_that_install_the_unit_make_every_folder_it_may_write() -> None:
    """systemd will not start a unit whose ReadWritePaths= names a folder that does not exist (226/NAMESPACE), and
    qabot-state/ is made only by a first run: the README's steps, and the unit's own, make them before it starts."""
    unit = (REPO / "deploy" / "qabot-discord.service").read_text()
    folders = re.search(r"^ReadWritePaths=(.*)$", unit, re.MULTILINE).group(1).split()
    readme = (REPO / "README.md").read_text()
    steps = {"README": readme[readme.index("**systemd**"):readme.index("**Docker**")],
             "the unit's comment": unit[:unit.index("[Unit]")]}
    for where, text in steps.items():
        made = {folder for line in text.splitlines() if "mkdir -p" in line for folder in line.split()}
        enable = text.index("systemctl enable")
        assert all(folder in made for folder in folders), (where, folders, made)
        assert all(text.index(folder) < enable for folder in folders), where
