"""The audio source interface: the mixer pulls exactly the samples the output timeline needs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from seller_studio.common.events import EventEmitter


class AudioSource(ABC):
    kind: ClassVar[str]

    def __init__(self, source_id: str) -> None:
        self.id = source_id
        self.events = EventEmitter()

    def start(self) -> None:  # noqa: B027 - optional hook
        pass

    def stop(self) -> None:  # noqa: B027 - optional hook
        pass

    def align_to_timeline(self, t_s: float) -> None:  # noqa: B027 - optional hook
        """Live devices ignore this; generated audio starts its pattern at canvas time ``t_s``."""

    @abstractmethod
    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples, float32 (n, 2) at 48 kHz."""

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind}
