"""``python -m redis_ha_exporter``."""

import sys

from redis_ha_exporter.cli import main

sys.exit(main())
