"""The one reconnect policy shared by the stream outputs and the platform websocket.

Matches the reference broadcaster: first retry after 2 s, each later delay x1.5 plus a little
jitter, capped. Retries are unlimited unless ``max_attempts`` is set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class ReconnectPolicy:
    first_delay_s: float = 2.0
    multiplier: float = 1.5
    max_delay_s: float = 60.0
    jitter_fraction: float = 0.1
    max_attempts: int | None = None  # None: retry for as long as the show is live
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay_s(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1 = first retry after a disconnect)."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        base = min(self.first_delay_s * self.multiplier ** (attempt - 1), self.max_delay_s)
        jitter = base * self.jitter_fraction * self.rng.random()
        return min(base + jitter, self.max_delay_s)

    def should_retry(self, attempt: int) -> bool:
        return self.max_attempts is None or attempt <= self.max_attempts
