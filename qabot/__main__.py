"""``python -m qabot`` runs the command-line interface."""

from qabot.cli import main

main()
