"""``python -m tools.nlu_data``: see :mod:`tools.nlu_data.cli`."""

import sys

from tools.nlu_data.cli import main

sys.exit(main())
