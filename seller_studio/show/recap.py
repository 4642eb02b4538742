"""The End Show recap: what the seller wants to know when the stream stops (no Qt).

Numbers come from the show's own records (this show's sales in the inventory database, the peak
viewer count the platform reported) and from the media session's last stats (frames dropped), so
the recap says the same as the Sales tab and the status bar did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seller_studio.i18n import tr
from seller_studio.show.inventory import Sale
from seller_studio.show.selling import format_money, format_total


@dataclass(frozen=True)
class ShowRecap:
    duration_s: float
    sales_count: int  # sales rows (a giveaway win counts: it ships)
    items_sold: int  # units (a buy-it-now sale of 3 counts 3)
    total_cents: int
    peak_viewers: int | None  # None: no platform reported viewers
    dropped_frames: int | None  # None: not live (no media stats)
    giveaways: int = 0
    currency: str = "USD"  # of total_cents (the show's)
    total_text: str = ""  # the total as written, one amount per currency when sales were in several

    @property
    def duration_text(self) -> str:
        seconds = max(0, round(self.duration_s))
        hours, rest = divmod(seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows, in the order the recap shows them."""
        items = tr(" ({n} items)").format(n=self.items_sold) if self.items_sold != self.sales_count else ""
        return [
            (tr("Duration"), self.duration_text),
            (tr("Sales"), f"{self.sales_count}{items}"),
            (tr("Total"), self.total_text or format_money(self.total_cents, self.currency)),
            (tr("Peak viewers"), "—" if self.peak_viewers is None else f"{self.peak_viewers:,}"),
            (tr("Frames dropped"), "—" if self.dropped_frames is None else f"{self.dropped_frames:,}"),
        ]


def dropped_frames(stats: Mapping[str, Any] | Any | None) -> int | None:
    """Frames dropped for any cause (render lag, encode lag, network) from a stats tick."""
    if not stats:
        return None
    dropped = stats.get("dropped") if isinstance(stats, Mapping) else getattr(stats, "dropped", None)
    if dropped is None:
        return None
    if isinstance(dropped, Mapping):
        return int(sum(int(v or 0) for v in dropped.values()))
    return int(sum(int(getattr(dropped, k, 0) or 0) for k in ("render_lag", "encode_lag", "network")))


def compute_recap(sales: Sequence[Sale], *, duration_s: float, peak_viewers: int | None = None,
                  stats: Mapping[str, Any] | Any | None = None, currency: str = "USD") -> ShowRecap:
    currencies = {s.currency for s in sales}
    return ShowRecap(
        duration_s=max(0.0, duration_s),
        sales_count=len(sales),
        items_sold=sum(s.quantity for s in sales),
        total_cents=sum(s.price_cents for s in sales),
        peak_viewers=peak_viewers,
        dropped_frames=dropped_frames(stats),
        giveaways=sum(1 for s in sales if s.type == "giveaway"),
        currency=next(iter(currencies)) if len(currencies) == 1 else currency,
        total_text=format_total(sales, currency) if len(currencies) > 1 else "",
    )
