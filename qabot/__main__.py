"""``python -m qabot`` runs the command-line interface."""

from qabot.entry import main

main()
