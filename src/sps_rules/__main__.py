"""``python -m sps_rules``: the same as the ``sps-rules`` command."""

from .cli import main

main()
