"""``python -m servicelevel``."""

from servicelevel.cli import run

run()
