"""``python -m dynamics`` is the ``balancing`` command."""

import sys

from dynamics.cli import main

sys.exit(main())
