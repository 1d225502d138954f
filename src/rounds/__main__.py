"""``python -m rounds``."""

from rounds.cli import main

main()
