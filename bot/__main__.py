"""`python -m bot` is the `frontdesk` command."""

from bot.cli import main

main()
