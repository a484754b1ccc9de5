"""``python -m bot`` runs the command line, as the ``slabot`` script does."""

from bot.cli import main

main()
