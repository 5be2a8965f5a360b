"""``python -m genn_neuromod`` is the ``genn-neuromod`` command."""

import sys

from .cli import main

sys.exit(main())
