"""Simulated viewers: they chat, bid (some with max bids), buy-now, and enter giveaways.

Pure and seeded: ``step(dt_s, view)`` draws only from its own ``random.Random(seed)``, so the same
seed and the same sequence of steps and show states give exactly the same actions. The server
calls it on a fixed tick.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from seller_studio.platform.rules import increment_cents

USERS = (
    "cardqueen", "vintage_vic", "sneakerhead22", "momo_deals", "pokefan_88", "retro_rita", "jdm_jay",
    "bargain_bob", "lily.collects", "thrift_tom", "goldenhour", "packripper", "minty_mike", "dina_finds",
    "slabsnstuff", "coinnerd", "ana_vintage", "big_kev", "shopaholic_sue", "lucky_lu",
)
CHAT_LINES = (
    "How much is shipping?", "Do you ship to Canada?", "Is shipping combined if I buy two?",
    "What condition is it in?", "Any scratches or dents?", "Is it authentic?", "Can you show the back?",
    "What size is that?", "sold!", "SOLD!", "sold 🙌", "🔥🔥🔥", "😍", "👀", "💯", "let's gooo",
    "first time here, hi!", "when is the next giveaway?", "can you zoom in?", "is it mint?",
)
BADGES = ((), (), (), ("buyer",), ("new",), ("subscriber",), ("buyer", "subscriber"))


@dataclass(frozen=True)
class SimView:
    """What the simulated viewers can see of the show right now."""

    auction_id: str | None = None
    auction_next_min_cents: int = 0
    buy_now_item_ids: tuple[str, ...] = ()
    giveaway_id: str | None = None


@dataclass(frozen=True)
class ChatAction:
    user: str
    text: str
    badges: tuple[str, ...] = ()


@dataclass(frozen=True)
class BidAction:
    auction_id: str
    user: str
    amount_cents: int
    max_cents: int | None = None


@dataclass(frozen=True)
class BuyAction:
    item_id: str
    user: str


@dataclass(frozen=True)
class EntryAction:
    giveaway_id: str
    user: str


@dataclass(frozen=True)
class ViewerCountAction:
    count: int


Action = ChatAction | BidAction | BuyAction | EntryAction | ViewerCountAction


@dataclass
class ViewerSim:
    seed: int = 0
    chat_per_min: float = 20.0
    bid_per_min: float = 12.0
    buy_per_min: float = 4.0
    entry_per_min: float = 30.0
    viewer_count_every_s: float = 5.0
    start_viewers: int = 40
    rng: random.Random = field(init=False, repr=False)
    count: int = field(init=False)
    _since_count_s: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.count = self.start_viewers

    def step(self, dt_s: float, view: SimView) -> list[Action]:
        actions: list[Action] = []
        rng = self.rng
        for _ in range(self._poisson(self.chat_per_min * dt_s / 60)):
            actions.append(ChatAction(rng.choice(USERS), rng.choice(CHAT_LINES), tuple(rng.choice(BADGES))))
        if view.auction_id is not None:
            for _ in range(self._poisson(self.bid_per_min * dt_s / 60)):
                amount = view.auction_next_min_cents
                # A few viewers jump ahead by an increment or two; some leave a max bid.
                for _ in range(rng.choice((0, 0, 0, 1, 2))):
                    amount += increment_cents(amount)
                max_cents = None
                if rng.random() < 0.3:
                    max_cents = amount
                    for _ in range(rng.randint(1, 5)):
                        max_cents += increment_cents(max_cents)
                actions.append(BidAction(view.auction_id, rng.choice(USERS), amount, max_cents))
        if view.buy_now_item_ids:
            for _ in range(self._poisson(self.buy_per_min * dt_s / 60)):
                actions.append(BuyAction(rng.choice(view.buy_now_item_ids), rng.choice(USERS)))
        if view.giveaway_id is not None:
            for _ in range(self._poisson(self.entry_per_min * dt_s / 60)):
                actions.append(EntryAction(view.giveaway_id, rng.choice(USERS)))
        self._since_count_s += dt_s
        if self._since_count_s >= self.viewer_count_every_s:
            self._since_count_s = 0.0
            self.count = max(1, self.count + rng.randint(-3, 5))
            actions.append(ViewerCountAction(self.count))
        return actions

    def _poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        # Knuth's method; lam per step is small (rates per minute x a fraction of a second).
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1
