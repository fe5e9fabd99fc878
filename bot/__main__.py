"""``python -m bot``: the project's command line (see ``python -m bot --help``)."""

import sys

from bot.cli import main

sys.exit(main())
