"""Ask before starting what cannot be undone on a sick stream.

A running auction cannot be cancelled, and a break's draw must be seen live. If the stream is
reconnecting, or has dropped more than 5 % of its frames over the last ten seconds, viewers may
miss the end of the auction or the draw: starting one then asks first, naming the problem in plain
words. This is the rule, without Qt; the window asks the question (``ui/show_panel``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from seller_studio.i18n import tr, tr_noop, tr_text

WINDOW_S = 10  # stats ticks (one a second) the drop share is judged over, like the health verdict
DROP_LIMIT_PCT = 5.0
# The question the window asks (shown only: the journal keeps ``reason`` in English).
QUESTIONS = {"auction": tr_noop("{reason} A running auction cannot be cancelled. Start the auction anyway?"),
             "draw": tr_noop("{reason} Viewers must see the draw live. Start the draw anyway?")}


@dataclass(frozen=True)
class GateProblem:
    reason: str  # plain words: what is wrong with the stream now
    is_reconnecting: bool
    drop_pct: float

    def question(self, action: str) -> str:
        """The question in the studio's language (English when it speaks English)."""
        template = QUESTIONS.get(action, tr_noop("{reason} Start anyway?"))
        return tr(template).format(reason=tr_text(self.reason))


class HealthGate:
    """Fed every stats tick (``observe``) and every stream state change (``on_stream_state``);
    ``problem()`` is None when starting is safe. Lives on the controller's owner thread."""

    def __init__(self, window_s: int = WINDOW_S, drop_limit_pct: float = DROP_LIMIT_PCT) -> None:
        self.drop_limit_pct = drop_limit_pct
        self._ticks: deque[tuple[int, int]] = deque(maxlen=window_s + 1)  # (frames encoded, frames dropped)
        self._stream_state = ""
        self._is_streaming = False

    def on_stream_state(self, state: str) -> None:
        if state == "connecting" and self._stream_state in ("", "starting", "stopped", "failed"):
            state = "starting"  # the first connect of Go Live is not a reconnect
        self._stream_state = state
        self._is_streaming = state not in ("", "stopped", "failed")

    def observe(self, stats: dict[str, Any]) -> None:
        streams = [o for o in stats.get("outputs", []) if o.get("kind") == "stream"]
        if not streams:
            self._ticks.clear()
            self._is_streaming = False
            return
        self._is_streaming = True
        state = str(streams[0].get("state", self._stream_state))
        if state == "connecting" and not (streams[0].get("reconnects", 0) or streams[0].get("attempt", 0)):
            state = "starting"  # the first connect of Go Live is not a reconnect
        self._stream_state = state
        dropped = stats.get("dropped") or {}
        # The network drops of the show's main destination (the platform's, where the auction is
        # watched), not another destination's slow link; without per-output figures, the session's.
        network = streams[0].get("dropped_network", dropped.get("network", 0))
        total = int(network or 0) + sum(int(dropped.get(k, 0) or 0) for k in ("encode_lag", "render_lag"))
        self._ticks.append((int(stats.get("frames_encoded", 0) or 0), total))

    def drop_pct(self) -> float:
        if len(self._ticks) < 2:
            return 0.0
        (f0, d0), (f1, d1) = self._ticks[0], self._ticks[-1]
        dropped, frames = max(0, d1 - d0), max(0, f1 - f0)
        return 100.0 * dropped / max(1, frames + dropped)

    def problem(self) -> GateProblem | None:
        if not self._is_streaming:
            return None
        if self._stream_state in ("reconnecting", "connecting"):
            return GateProblem(tr_noop("The stream is reconnecting: viewers are not seeing you right now."), True,
                               self.drop_pct())
        pct = self.drop_pct()
        if pct > self.drop_limit_pct:
            return GateProblem(tr_noop("The stream is dropping {pct}% of its frames: viewers see a stuttering "
                                       "picture and may miss the end.").format(pct=f"{pct:.0f}"), False, pct)
        return None
