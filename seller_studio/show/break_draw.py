"""A break's random-team draw that anyone can check with plain Python.

Card breakers draw teams to buyers on stream; viewers have to trust a website or dice. Here the
seller cannot pick the result after the fact: a secret seed is fixed (and its SHA-256, the *seed
hash*, posted) when the break opens, the *commitment* binding seed, teams and the buyers in order
is posted before the draw, and the seed is revealed after it. The assignment is a pure function of
(seed, teams, buyers) defined below; it uses only SHA-256 and integer arithmetic, so every OS and
Python version gives the same result, and ``seller-studio break verify`` or the ten-line snippet in
docs/breaks.md recompute it.

Algorithm (version 1; docs/breaks.md is the reference text):

* ``material = json.dumps({"buyers": buyers, "seed": seed, "teams": teams}, sort_keys=True,
  separators=(",", ":"))`` (ASCII: json escapes everything else), as UTF-8 bytes.
* seed hash = ``sha256(seed)``; commitment = ``sha256("commit:" + material)`` (hex, lower case).
* Random stream: block k (k = 0, 1, 2, ...) is ``sha256("draw:" + material + ":" + str(k))``;
  the blocks are read as consecutive 4-byte big-endian unsigned words.
* ``below(n)``: take the next word w; if ``w >= 2**32 - 2**32 % n`` discard it and take the next
  (rejection sampling: no modulo bias); else return ``w % n``.
* Fisher-Yates: ``a = list(teams)``; for ``i`` from ``len(a) - 1`` down to 1: ``j = below(i + 1)``,
  swap ``a[i]`` and ``a[j]``. Buyer number i (0-based, in purchase order) gets ``a[i]``; teams past
  the last buyer stay unassigned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from seller_studio.i18n import tr_noop

ALGORITHM_VERSION = 1

MLB_TEAMS: tuple[str, ...] = (
    "Arizona Diamondbacks", "Athletics", "Atlanta Braves", "Baltimore Orioles", "Boston Red Sox",
    "Chicago Cubs", "Chicago White Sox", "Cincinnati Reds", "Cleveland Guardians", "Colorado Rockies",
    "Detroit Tigers", "Houston Astros", "Kansas City Royals", "Los Angeles Angels",
    "Los Angeles Dodgers", "Miami Marlins", "Milwaukee Brewers", "Minnesota Twins", "New York Mets",
    "New York Yankees", "Philadelphia Phillies", "Pittsburgh Pirates", "San Diego Padres",
    "San Francisco Giants", "Seattle Mariners", "St. Louis Cardinals", "Tampa Bay Rays",
    "Texas Rangers", "Toronto Blue Jays", "Washington Nationals",
)

NBA_TEAMS: tuple[str, ...] = (
    "Atlanta Hawks", "Boston Celtics", "Brooklyn Nets", "Charlotte Hornets", "Chicago Bulls",
    "Cleveland Cavaliers", "Dallas Mavericks", "Denver Nuggets", "Detroit Pistons",
    "Golden State Warriors", "Houston Rockets", "Indiana Pacers", "Los Angeles Clippers",
    "Los Angeles Lakers", "Memphis Grizzlies", "Miami Heat", "Milwaukee Bucks", "Minnesota Timberwolves",
    "New Orleans Pelicans", "New York Knicks", "Oklahoma City Thunder", "Orlando Magic",
    "Philadelphia 76ers", "Phoenix Suns", "Portland Trail Blazers", "Sacramento Kings",
    "San Antonio Spurs", "Toronto Raptors", "Utah Jazz", "Washington Wizards",
)

NFL_TEAMS: tuple[str, ...] = (
    "Arizona Cardinals", "Atlanta Falcons", "Baltimore Ravens", "Buffalo Bills", "Carolina Panthers",
    "Chicago Bears", "Cincinnati Bengals", "Cleveland Browns", "Dallas Cowboys", "Denver Broncos",
    "Detroit Lions", "Green Bay Packers", "Houston Texans", "Indianapolis Colts",
    "Jacksonville Jaguars", "Kansas City Chiefs", "Las Vegas Raiders", "Los Angeles Chargers",
    "Los Angeles Rams", "Miami Dolphins", "Minnesota Vikings", "New England Patriots",
    "New Orleans Saints", "New York Giants", "New York Jets", "Philadelphia Eagles",
    "Pittsburgh Steelers", "San Francisco 49ers", "Seattle Seahawks", "Tampa Bay Buccaneers",
    "Tennessee Titans", "Washington Commanders",
)

TEAM_SETS: dict[str, tuple[str, ...]] = {"mlb": MLB_TEAMS, "nba": NBA_TEAMS, "nfl": NFL_TEAMS}


class DrawError(ValueError):
    """Input a draw cannot be made from; ``str()`` is one sentence for the seller or the verifier."""


def numbered_spots(count: int) -> tuple[str, ...]:
    return tuple(f"Spot {n}" for n in range(1, count + 1))


def teams_from_spec(spec: str) -> tuple[str, ...]:
    """``mlb`` / ``nba`` / ``nfl``, a number N (Spot 1 .. Spot N), or a comma-separated list."""
    text = spec.strip()
    if text.lower() in TEAM_SETS:
        return TEAM_SETS[text.lower()]
    if text.isdigit():
        count = int(text)
        if not 1 <= count <= 1000:
            raise DrawError(tr_noop('A break has 1 to 1000 spots, not {count}.').format(count=count))
        return numbered_spots(count)
    teams = tuple(t.strip() for t in text.split(",") if t.strip())
    if not teams:
        raise DrawError(tr_noop('No teams in {spec!r}: give mlb, nba, nfl, a number of spots or a comma-separated list.').format(spec=spec))
    return teams


def new_seed() -> str:
    """32 random bytes from the OS, as 64 hex digits."""
    return secrets.token_hex(32)


def _material(seed: str, teams: Sequence[str], buyers: Sequence[str]) -> bytes:
    return json.dumps({"buyers": list(buyers), "seed": seed, "teams": list(teams)},
                      sort_keys=True, separators=(",", ":")).encode("utf-8")


def seed_hash(seed: str) -> str:
    """What is posted when the break opens, before any spot sells."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def commitment(seed: str, teams: Sequence[str], buyers: Sequence[str]) -> str:
    """What is posted with the buyer list just before the draw; any change to seed, teams or buyers
    (names or order) changes it."""
    return hashlib.sha256(b"commit:" + _material(seed, teams, buyers)).hexdigest()


def _words(material: bytes) -> Iterator[int]:
    block = 0
    while True:
        digest = hashlib.sha256(b"draw:" + material + b":" + str(block).encode("ascii")).digest()
        for offset in range(0, 32, 4):
            yield int.from_bytes(digest[offset:offset + 4], "big")
        block += 1


def _below(words: Iterator[int], n: int) -> int:
    limit = 2**32 - 2**32 % n
    while True:
        word = next(words)
        if word < limit:
            return word % n


def check_draw_input(teams: Sequence[str], buyers: Sequence[str]) -> None:
    if not teams:
        raise DrawError(tr_noop("The break has no spots to draw."))
    if len(set(teams)) != len(teams):
        dup = next(t for t in teams if list(teams).count(t) > 1)
        raise DrawError(tr_noop('The team {dup!r} is listed twice; each spot needs its own name.').format(dup=dup))
    if not buyers:
        raise DrawError(tr_noop("No buyers yet: sell spots before the draw."))
    if len(buyers) > len(teams):
        raise DrawError(tr_noop('{value} buyers for {value2} spots: a break cannot have more buyers than spots.').format(value=len(buyers), value2=len(teams)))
    for name in buyers:
        if not name.strip():
            raise DrawError(tr_noop("A buyer's name is empty."))


def shuffled_teams(seed: str, teams: Sequence[str], buyers: Sequence[str]) -> list[str]:
    """The teams in draw order: buyer i gets element i."""
    check_draw_input(teams, buyers)
    words = _words(_material(seed, teams, buyers))
    result = list(teams)
    for i in range(len(result) - 1, 0, -1):
        j = _below(words, i + 1)
        result[i], result[j] = result[j], result[i]
    return result


@dataclass(frozen=True)
class Assignment:
    position: int  # 1-based place in the buyer list (purchase order)
    buyer: str
    team: str


@dataclass(frozen=True)
class DrawResult:
    seed: str
    seed_hash: str
    commitment: str
    teams: tuple[str, ...]
    buyers: tuple[str, ...]
    assignments: tuple[Assignment, ...]
    unassigned: tuple[str, ...]  # teams past the last buyer

    def team_of(self, position: int) -> str:
        return self.assignments[position - 1].team


def draw(seed: str, teams: Sequence[str], buyers: Sequence[str]) -> DrawResult:
    order = shuffled_teams(seed, teams, buyers)
    assignments = tuple(Assignment(i + 1, buyer, order[i]) for i, buyer in enumerate(buyers))
    return DrawResult(seed=seed, seed_hash=seed_hash(seed), commitment=commitment(seed, teams, buyers),
                      teams=tuple(teams), buyers=tuple(buyers), assignments=assignments,
                      unassigned=tuple(order[len(buyers):]))


@dataclass(frozen=True)
class Verification:
    result: DrawResult
    problems: tuple[str, ...]  # each one sentence; empty when everything matched

    @property
    def is_ok(self) -> bool:
        return not self.problems


def verify(seed: str, teams: Sequence[str], buyers: Sequence[str], *, expected_commitment: str | None = None,
           expected_seed_hash: str | None = None) -> Verification:
    """Recompute the draw and compare it with what was posted."""
    result = draw(seed, teams, buyers)
    problems: list[str] = []
    if expected_seed_hash is not None and not hmac.compare_digest(expected_seed_hash.strip().lower(),
                                                                 result.seed_hash):
        problems.append("The seed does not match the seed hash posted when the break opened.")
    if expected_commitment is not None and not hmac.compare_digest(expected_commitment.strip().lower(),
                                                                  result.commitment):
        problems.append("The commitment does not match: the seed, the teams or the buyer list "
                        "(names or order) differ from what was posted before the draw.")
    return Verification(result, tuple(problems))
