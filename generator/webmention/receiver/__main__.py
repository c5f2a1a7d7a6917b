"""Allow `python -m generator.webmention.receiver` (the same as `homepost receiver`)."""

import sys

from generator.webmention.receiver.server import main

sys.exit(main())
