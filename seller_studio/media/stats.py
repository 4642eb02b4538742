"""Process figures for the stats bus: CPU % and resident memory, without extra dependencies."""

from __future__ import annotations

import os
import resource
import sys
import time


def rss_mb() -> float:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        except OSError:
            pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


class CpuMeter:
    """CPU use of this process since the last call, in % of one core (200 % = two busy cores)."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def percent(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        value = 100.0 * (cpu - self._cpu) / max(wall - self._wall, 1e-6)
        self._cpu, self._wall = cpu, wall
        return value
