"""``python -m sps_rules.cli``: the same as the ``sps-rules`` command."""

from . import main

main()
