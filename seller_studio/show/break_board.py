"""The break board: a break's spots filled from the platform's sales, the draw, and the packing list.

Breakers keep the spot list by hand today and type every buyer twice. Here a break is linked to its
platform listings (one listing of N spots for a random-team break, or one listing per team for
pick-your-team) and every ``sale`` (buy-it-now) or won auction of those listings fills the next spot
— nothing is typed. A spot can be reassigned by hand, only with a reason, which goes to the journal
through ``record``. The random-team draw is ``break_draw`` (seed hash posted when the break opens,
commitment + buyer list before the draw, seed after). The board's state is one JSON file written
atomically after every change, so a restarted studio has the same board; a sale the board cannot
take (more buyers than spots, a team already taken, a refund after the draw) is kept in the file and
reported as one sentence, never dropped.

No Qt; the overlay (``media/sources/break_board.py``) draws ``board_picture()``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from seller_studio.common.events import EventEmitter
from seller_studio.i18n import tr_noop
from seller_studio.platform import protocol as p
from seller_studio.platform.rules import money_error, to_cents
from seller_studio.show import break_draw
from seller_studio.show.csv_safety import write_csv_atomically

log = logging.getLogger(__name__)

MANIFEST_HEADER = ("spot", "team", "buyer", "order id")


class BreakFormat(StrEnum):
    PICK_YOUR_TEAM = "pick-your-team"
    RANDOM_TEAM = "random-team"


class BreakError(ValueError):
    """Something the board cannot do; ``str()`` is one sentence for the seller."""


@dataclass
class SpotSale:
    """One sold spot, in purchase order."""

    order_id: str
    buyer: str
    item_id: str
    price_cents: int
    sold_at: float
    team: str | None = None  # pick-your-team: the team bought; random: set by the draw
    is_refunded: bool = False


@dataclass
class Rejected:
    """A sale the board could not place (kept so nothing is lost; the seller refunds it)."""

    order_id: str
    buyer: str
    item_id: str
    reason: str


@dataclass(frozen=True)
class BoardSpot:
    label: str  # "#3" (random team: the 3rd spot sold) or the team name
    team: str | None  # None while a random team is not drawn yet
    buyer: str | None


@dataclass(frozen=True)
class DrawAnnouncement:
    """What goes on stream and into chat just before the draw."""

    seed_hash: str
    commitment: str
    buyers: tuple[str, ...]

    def chat_lines(self, max_chars: int = 500) -> list[str]:
        """The buyer list in order and the commitment, split to fit the platform's chat limit."""
        lines = [f"Break draw commitment {self.commitment} (seed hash {self.seed_hash}). Buyers in order:"]
        current = ""
        for n, buyer in enumerate(self.buyers, 1):
            part = f"{n}. {buyer}"
            if current and len(current) + 2 + len(part) > max_chars:
                lines.append(current)
                current = part
            else:
                current = f"{current}, {part}" if current else part
        if current:
            lines.append(current)
        return lines


@dataclass
class BreakSpec:
    break_id: str
    title: str
    format: BreakFormat
    teams: tuple[str, ...]
    price_cents: int
    # platform item id -> team it sells (pick-your-team) or None (random team: spots of the break)
    listings: dict[str, str | None] = field(default_factory=dict)

    def check(self) -> None:
        if not self.title.strip():
            raise BreakError(tr_noop("A break needs a title."))
        try:
            break_draw.check_draw_input(self.teams, ["x"])  # spots present, none twice
        except break_draw.DrawError as err:
            raise BreakError(str(err)) from None
        if self.price_cents <= 0:
            raise BreakError(tr_noop("The price per spot must be more than 0."))
        for item_id, team in self.listings.items():
            if team is not None and team not in self.teams:
                raise BreakError(tr_noop('Listing {item_id} sells {team!r}, which is not a spot of this break.').format(item_id=item_id, team=team))
            if self.format is BreakFormat.RANDOM_TEAM and team is not None:
                raise BreakError(tr_noop("In a random-team break the listings sell spots, not teams."))
            if self.format is BreakFormat.PICK_YOUR_TEAM and team is None:
                raise BreakError(tr_noop('In a pick-your-team break listing {item_id} must name its team.').format(item_id=item_id))


class BreakBoard:
    """Events (``events``): ``board_changed`` {filled, total}, ``sale_rejected`` {order_id, buyer,
    reason}, ``draw_announced`` {commitment, seed_hash, buyers}, ``drawn`` {seed, assignments},
    ``reassigned`` {spot, old_buyer, new_buyer, reason}, ``refunded`` {order_id, buyer}."""

    def __init__(self, spec: BreakSpec, *, path: Path | None = None, seed: str | None = None,
                 record: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        spec.check()
        self.spec = spec
        self.path = Path(path) if path is not None else None
        self.seed = seed or break_draw.new_seed()
        self.sales: list[SpotSale] = []
        self.rejected: list[Rejected] = []
        self.reassignments: list[dict[str, Any]] = []
        self.announcement: DrawAnnouncement | None = None
        self.result: break_draw.DrawResult | None = None
        self.events = EventEmitter()
        self._record = record
        self._journal("break_opened", break_id=spec.break_id, title=spec.title, format=spec.format.value,
                      spots=len(spec.teams), seed_hash=self.seed_hash)
        self._save()

    # --- reading ------------------------------------------------------------------------------------

    @property
    def seed_hash(self) -> str:
        return break_draw.seed_hash(self.seed)

    @property
    def total(self) -> int:
        return len(self.spec.teams)

    def active_sales(self) -> list[SpotSale]:
        return [s for s in self.sales if not s.is_refunded]

    @property
    def filled(self) -> int:
        return len(self.active_sales())

    def buyers(self) -> list[str]:
        """Buyers in purchase order (a buyer with two spots appears twice)."""
        return [s.buyer for s in self.active_sales()]

    @property
    def is_drawn(self) -> bool:
        return self.result is not None

    def spots(self) -> list[BoardSpot]:
        """What the board shows, one entry per spot."""
        if self.spec.format is BreakFormat.PICK_YOUR_TEAM:
            by_team = {s.team: s.buyer for s in self.active_sales()}
            return [BoardSpot(team, team, by_team.get(team)) for team in self.spec.teams]
        active = self.active_sales()
        spots = [BoardSpot(f"#{n + 1}", sale.team, sale.buyer) for n, sale in enumerate(active)]
        spots += [BoardSpot(f"#{n + 1}", None, None) for n in range(len(active), self.total)]
        if self.result is not None:  # teams no buyer got
            spots = spots[:len(active)] + [BoardSpot(team, team, None) for team in self.result.unassigned]
        return spots

    # --- sales from the platform --------------------------------------------------------------------

    def on_platform_event(self, event: p.Event) -> SpotSale | None:
        """Feed every platform event; sales and won auctions of this break's listings fill spots."""
        try:
            if isinstance(event, p.Sale) and event.item_id in self.spec.listings:
                return self.on_sale(event.item_id, event.buyer, to_cents(event.price), f"sale-{event.seq}")
            if isinstance(event, p.AuctionEnded) and event.item_id in self.spec.listings and event.winner:
                price = to_cents(event.price) if event.price is not None else self.spec.price_cents
                return self.on_sale(event.item_id, event.winner, price, f"auction-{event.auction_id}")
        except BreakError as err:
            log.warning("break %s: %s", self.spec.break_id, err)
        return None

    def on_sale(self, item_id: str, buyer: str, price_cents: int, order_id: str,
                sold_at: float | None = None) -> SpotSale:
        """Fill a spot. A replayed order id is not a second spot. A sale that cannot be placed is
        kept as rejected and raises ``BreakError`` with the sentence the seller sees."""
        for sale in self.sales:
            if sale.order_id == order_id:
                return sale
        if any(r.order_id == order_id for r in self.rejected):
            raise BreakError(next(r.reason for r in self.rejected if r.order_id == order_id))
        team = self.spec.listings.get(item_id)
        reason = None
        if self.is_drawn:
            reason = tr_noop("{buyer} bought a spot of \u201c{title}\u201d after the draw: refund order "
                             "{order_id}, the draw cannot take a new buyer.").format(
                buyer=buyer, title=self.spec.title, order_id=order_id)
        elif self.filled >= self.total:
            reason = tr_noop("{buyer} bought spot {spot} of a {total}-spot break: there are more "
                             "buyers than spots, refund order {order_id}.").format(
                buyer=buyer, spot=self.filled + 1, total=self.total, order_id=order_id)
        elif team is not None and any(s.team == team for s in self.active_sales()):
            holder = next(s.buyer for s in self.active_sales() if s.team == team)
            reason = tr_noop("{buyer} bought {team}, which {holder} already has: refund order {order_id}.").format(
                buyer=buyer, team=team, holder=holder, order_id=order_id)
        if reason is not None:
            self.rejected.append(Rejected(order_id, buyer, item_id, reason))
            self._journal("break_sale_rejected", order_id=order_id, buyer=buyer, reason=reason)
            self._save()
            self.events.emit("sale_rejected", order_id=order_id, buyer=buyer, reason=reason)
            raise BreakError(reason)
        sale = SpotSale(order_id, buyer, item_id, price_cents, sold_at if sold_at is not None else time.time(),
                        team=team)
        self.sales.append(sale)
        self._journal("break_spot_sold", order_id=order_id, buyer=buyer, team=team, spot=self.filled)
        self._changed()
        return sale

    # --- by hand ------------------------------------------------------------------------------------

    def refund(self, order_id: str, reason: str) -> SpotSale:
        """A refunded spot opens again before the draw; after it the draw stands."""
        sale = next((s for s in self.sales if s.order_id == order_id and not s.is_refunded), None)
        if sale is None:
            raise BreakError(tr_noop('No spot of this break has order {order_id}.').format(order_id=order_id))
        if self.is_drawn:
            raise BreakError(
                tr_noop("The draw is done: refunding {buyer}'s order {order_id} cannot change it. Refund the order on the platform and reassign {team} by hand, with a reason.").format(buyer=sale.buyer, order_id=order_id, team=sale.team))
        if not reason.strip():
            raise BreakError(tr_noop("Say why the spot is refunded; the reason goes in the journal."))
        if self.announcement is not None:
            self.announcement = None  # the posted buyer list is no longer true: announce again
        sale.is_refunded = True
        self._journal("break_refund", order_id=order_id, buyer=sale.buyer, reason=reason.strip())
        self.events.emit("refunded", order_id=order_id, buyer=sale.buyer)
        self._changed()
        return sale

    def reassign(self, spot: str, new_buyer: str, reason: str) -> SpotSale:
        """Give a sold spot (its team after the draw or in pick-your-team, else "#N": the Nth spot sold) to
        another buyer by hand; the reason is required and journaled."""
        if not reason.strip():
            raise BreakError(tr_noop("Say why the spot is reassigned; the reason goes in the journal."))
        if not new_buyer.strip():
            raise BreakError(tr_noop("Name the buyer who gets the spot."))
        sale = self._sale_for_spot(spot)
        if self.announcement is not None and not self.is_drawn:
            self.announcement = None  # the posted list changed: announce again before the draw
        old = sale.buyer
        sale.buyer = new_buyer.strip()
        entry = {"spot": spot, "team": sale.team, "old_buyer": old, "new_buyer": sale.buyer,
                 "reason": reason.strip(), "order_id": sale.order_id, "at": time.time()}
        self.reassignments.append(entry)
        self._journal("break_reassign", **entry)
        self.events.emit("reassigned", spot=spot, old_buyer=old, new_buyer=sale.buyer, reason=reason.strip())
        self._changed()
        return sale

    def _sale_for_spot(self, spot: str) -> SpotSale:
        active = self.active_sales()
        for sale in active:
            if sale.team is not None and sale.team == spot:
                return sale
        if spot.startswith("#") or spot.lower().startswith("spot "):
            number = spot[1:].strip() if spot.startswith("#") else spot[5:].strip()
            if number.isdigit() and 1 <= int(number) <= len(active):
                return active[int(number) - 1]
        raise BreakError(tr_noop('No sold spot is called {spot!r} in this break.').format(spot=spot))

    # --- the draw -----------------------------------------------------------------------------------

    def announce_draw(self) -> DrawAnnouncement:
        """The commitment and the buyer list in order, to show and post before the draw."""
        if self.spec.format is not BreakFormat.RANDOM_TEAM:
            raise BreakError(tr_noop("A pick-your-team break has no draw: each buyer chose a team."))
        if self.is_drawn:
            raise BreakError(tr_noop("This break is already drawn."))
        buyers = self.buyers()
        try:
            commitment = break_draw.commitment(self.seed, self.spec.teams, buyers)
            break_draw.check_draw_input(self.spec.teams, buyers)
        except break_draw.DrawError as err:
            raise BreakError(str(err)) from None
        self.announcement = DrawAnnouncement(self.seed_hash, commitment, tuple(buyers))
        self._journal("break_draw_announced", commitment=commitment, seed_hash=self.seed_hash, buyers=buyers)
        self.events.emit("draw_announced", commitment=commitment, seed_hash=self.seed_hash, buyers=buyers)
        self._save()
        return self.announcement

    def run_draw(self) -> break_draw.DrawResult:
        """Draw (after ``announce_draw`` with the same buyer list) and reveal the seed."""
        if self.announcement is None:
            raise BreakError(tr_noop("Post the commitment and the buyer list first (announce the draw)."))
        if self.is_drawn:
            raise BreakError(tr_noop("This break is already drawn."))
        buyers = self.buyers()
        if tuple(buyers) != self.announcement.buyers:
            raise BreakError(tr_noop("The buyer list changed since it was posted: announce the draw again."))
        result = break_draw.draw(self.seed, self.spec.teams, buyers)
        for sale, assignment in zip(self.active_sales(), result.assignments, strict=True):
            sale.team = assignment.team
        self.result = result
        assignments = [asdict(a) for a in result.assignments]
        self._journal("break_drawn", seed=self.seed, commitment=result.commitment, assignments=assignments,
                      unassigned=list(result.unassigned))
        self.events.emit("drawn", seed=self.seed, assignments=assignments)
        self._changed()
        return result

    def verify_command(self) -> str:
        """The command a viewer runs to check the draw (after the seed is revealed)."""
        if self.result is None:
            raise BreakError(tr_noop("The break is not drawn yet."))
        from shlex import quote

        teams = self.spec.teams
        spec = next((name for name, ts in break_draw.TEAM_SETS.items() if ts == teams), None)
        if spec is None:
            spec = str(len(teams)) if teams == break_draw.numbered_spots(len(teams)) else ",".join(teams)
        options = ["--teams", spec, "--commitment", self.result.commitment]
        if any(b.startswith("-") for b in self.result.buyers):  # such a name would read as an option
            words = ["seller-studio", "break", "verify", *options, self.seed, "--", *self.result.buyers]
        else:
            words = ["seller-studio", "break", "verify", self.seed, *self.result.buyers, *options]
        return " ".join(quote(w) for w in words)

    # --- packing list -------------------------------------------------------------------------------

    def manifest_rows(self) -> list[tuple[str, str, str, str]]:
        rows = []
        for n, sale in enumerate(self.active_sales(), 1):
            spot = sale.team if self.spec.format is BreakFormat.PICK_YOUR_TEAM else f"#{n}"
            rows.append((spot, sale.team or "", sale.buyer, sale.order_id))
        return rows

    def export_manifest(self, path: Path | str) -> int:
        """Spot, team, buyer, order id for packing (formula-safe, written whole or not at all)."""
        if self.spec.format is BreakFormat.RANDOM_TEAM and not self.is_drawn:
            raise BreakError(tr_noop("Draw the teams before exporting the packing list."))
        return write_csv_atomically(Path(path), MANIFEST_HEADER, self.manifest_rows())

    # --- persistence --------------------------------------------------------------------------------

    def _changed(self) -> None:
        self._save()
        self.events.emit("board_changed", filled=self.filled, total=self.total)

    def _journal(self, name: str, **data: Any) -> None:
        if self._record is not None:
            try:
                self._record(name, data)
            except Exception:  # the journal never stops a break
                log.exception("break journal write failed")

    def to_json(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "version": 1,
            "spec": {"break_id": spec.break_id, "title": spec.title, "format": spec.format.value,
                     "teams": list(spec.teams), "price_cents": spec.price_cents, "listings": spec.listings},
            "seed": self.seed,
            "sales": [asdict(s) for s in self.sales],
            "rejected": [asdict(r) for r in self.rejected],
            "reassignments": self.reassignments,
            "announcement": asdict(self.announcement) if self.announcement else None,
            "drawn": self.result is not None,
            "drawn_buyers": list(self.result.buyers) if self.result is not None else None,
        }

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    @classmethod
    def load(cls, path: Path | str, *, record: Callable[[str, dict[str, Any]], None] | None = None) -> BreakBoard:
        """The board as it was saved (after a restart); a damaged file is one sentence."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            raw = data["spec"]
            spec = BreakSpec(raw["break_id"], raw["title"], BreakFormat(raw["format"]), tuple(raw["teams"]),
                             int(raw["price_cents"]), dict(raw["listings"]))
            board = cls.__new__(cls)
            board.spec = spec
            board.path = path
            board.seed = data["seed"]
            board.sales = [SpotSale(**s) for s in data["sales"]]
            board.rejected = [Rejected(**r) for r in data["rejected"]]
            board.reassignments = list(data["reassignments"])
            ann = data.get("announcement")
            board.announcement = (DrawAnnouncement(ann["seed_hash"], ann["commitment"], tuple(ann["buyers"]))
                                  if ann else None)
            board.result = (break_draw.draw(board.seed, spec.teams, data["drawn_buyers"]) if data.get("drawn")
                            else None)
            board.events = EventEmitter()
            board._record = record
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise BreakError(tr_noop('The break file {path} cannot be read ({err}); it is left as it is.').format(path=path, err=err)) from None
        return board


def new_break(break_id: str, title: str, fmt: BreakFormat | str, teams: Sequence[str] | str, price: str | float | int,
              listings: dict[str, str | None], **kwargs: Any) -> BreakBoard:
    """A board from what the seller types (teams as mlb/nba/nfl/N/list, price in dollars)."""
    try:
        team_list = break_draw.teams_from_spec(teams) if isinstance(teams, str) else tuple(teams)
    except break_draw.DrawError as err:
        raise BreakError(str(err)) from None
    problem = money_error(float(price) if isinstance(price, str) and _is_number(price) else price)
    if problem is not None:
        raise BreakError(tr_noop('The price per spot {price!r} {problem}.').format(price=price, problem=problem))
    price_cents = to_cents(price)
    return BreakBoard(BreakSpec(break_id, title, BreakFormat(fmt), team_list, price_cents, dict(listings)), **kwargs)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
