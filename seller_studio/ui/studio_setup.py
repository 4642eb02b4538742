"""Moved to ``seller_studio.studio.assembly`` (no Qt; issue 13). This old name is the same module, so
imports written before the move keep working."""

import sys

from seller_studio.studio import assembly as _moved

sys.modules[__name__] = _moved
