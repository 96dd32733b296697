"""``python -m csmodels``: the same as the ``csmodels`` command."""

import sys

from .cli import main

sys.exit(main())
