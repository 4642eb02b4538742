"""A network output's send buffer, measured in milliseconds of media, with drop-by-time policy.

Buffered time = newest packet time - oldest queued video packet time (as the reference
broadcaster measures it). Past ``drop_disposable_ms`` disposable (non-reference) video is
dropped; past ``drop_all_video_ms`` all queued video except keyframes is dropped and new video is
dropped until the next keyframe, so the picture resumes cleanly. Audio and keyframes are never
dropped.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

from seller_studio.media.frames import EncodedPacket


class SendBuffer:
    def __init__(self, drop_disposable_ms: float = 700.0, drop_all_video_ms: float = 900.0) -> None:
        self.drop_disposable_ms = drop_disposable_ms
        self.drop_all_video_ms = drop_all_video_ms
        self._queue: deque[EncodedPacket] = deque()
        self._cond = threading.Condition()
        self._newest_s = 0.0
        self.is_waiting_for_keyframe = False
        # Why video waits for a keyframe: the frames dropped meanwhile count under that cause (after a
        # reconnect they were lost to the disconnect, not to congestion).
        self._waiting_cause = "congestion"
        self.dropped: Counter[str] = Counter()  # "congestion" (video frames), "disconnect" (any)
        self.peak_buffered_ms = 0.0

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def buffered_ms(self) -> float:
        with self._cond:
            return self._buffered_ms_locked()

    def _buffered_ms_locked(self) -> float:
        oldest = next((p for p in self._queue if p.kind == "video"), None)
        if oldest is None and self._queue:
            oldest = self._queue[0]
        if oldest is None:
            return 0.0
        return max(0.0, (self._newest_s - oldest.dts_s) * 1000.0)

    def push(self, packet: EncodedPacket) -> bool:
        """Queue a packet; False if the policy dropped it."""
        with self._cond:
            if packet.kind == "video":
                if packet.is_keyframe:
                    self.is_waiting_for_keyframe = False
                elif self.is_waiting_for_keyframe:
                    self.dropped[self._waiting_cause] += 1
                    return False
            self._queue.append(packet)
            self._newest_s = max(self._newest_s, packet.dts_s)
            buffered = self._buffered_ms_locked()
            self.peak_buffered_ms = max(self.peak_buffered_ms, buffered)
            should_drop = None
            if buffered > self.drop_all_video_ms:
                should_drop = _not_keyframe
                self.is_waiting_for_keyframe = True
                self._waiting_cause = "congestion"
            elif buffered > self.drop_disposable_ms:
                should_drop = _disposable
            if should_drop is not None:
                self._drop_video(should_drop)
            self._cond.notify()
            return not (should_drop is not None and packet.kind == "video" and should_drop(packet))

    def _drop_video(self, should_drop) -> None:
        kept: deque[EncodedPacket] = deque()
        for p in self._queue:
            if p.kind == "video" and should_drop(p):
                self.dropped["congestion"] += 1
            else:
                kept.append(p)
        self._queue = kept

    def pop(self, timeout_s: float) -> EncodedPacket | None:
        with self._cond:
            if not self._queue:
                self._cond.wait(timeout_s)
            return self._queue.popleft() if self._queue else None

    def drop_while_disconnected(self, packet: EncodedPacket) -> None:
        """Nothing can be sent while (re)connecting; the new connection starts at a keyframe."""
        with self._cond:
            self.dropped["disconnect"] += packet.kind == "video"
            self.is_waiting_for_keyframe = True
            self._waiting_cause = "disconnect"

    def dropped_counts(self) -> dict[str, int]:
        """A snapshot of the drop counters (any thread)."""
        with self._cond:
            return {"congestion": self.dropped["congestion"], "disconnect": self.dropped["disconnect"]}

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def clear(self, cause: str = "disconnect") -> int:
        """Drop everything queued (a dead connection cannot send it). New video waits for a keyframe."""
        with self._cond:
            n = len(self._queue)
            self.dropped[cause] += sum(1 for p in self._queue if p.kind == "video")
            self._queue.clear()
            self.is_waiting_for_keyframe = True
            self._waiting_cause = cause
            return n


def _not_keyframe(packet: EncodedPacket) -> bool:
    return not packet.is_keyframe


def _disposable(packet: EncodedPacket) -> bool:
    return packet.is_disposable and not packet.is_keyframe
