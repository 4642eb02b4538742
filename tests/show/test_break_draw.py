"""The break draw: a committed golden vector, commitment checks, the docs' plain-Python snippet, the
verify command, and uniformity over 10,000 draws (chi-square, fixed seeds so it cannot flake)."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from seller_studio.show.break_draw import (
    MLB_TEAMS,
    DrawError,
    commitment,
    draw,
    numbered_spots,
    seed_hash,
    shuffled_teams,
    teams_from_spec,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = "5eed" * 16
BUYERS = ["alice", "bob", "Zoë", "alice", "dave_42"]


def test_golden_vector_is_the_same_everywhere() -> None:
    # Computed once and committed: any change to the algorithm (or a platform difference) breaks it.
    result = draw(SEED, MLB_TEAMS, BUYERS)
    assert result.seed_hash == "9619e2c3275e1e8be9ca29f0d7e0668cfdc675efcac99dbfa3ed48872c69809f"
    assert result.commitment == "3d9b29eb281136f72fc23153c762cd1eea37bb4e030b252e0a3b2be208af3c06"
    assert [a.team for a in result.assignments] == [
        "Boston Red Sox", "Athletics", "St. Louis Cardinals", "Toronto Blue Jays", "Pittsburgh Pirates"]
    assert len(result.unassigned) == 25 and set(result.unassigned).isdisjoint(a.team for a in result.assignments)
    spots = draw(SEED, numbered_spots(10), list("abcdefghij"))
    assert [a.team for a in spots.assignments] == [
        "Spot 8", "Spot 3", "Spot 9", "Spot 10", "Spot 7", "Spot 6", "Spot 5", "Spot 1", "Spot 2", "Spot 4"]


def test_same_seed_same_result_and_a_permutation() -> None:
    first = shuffled_teams(SEED, MLB_TEAMS, BUYERS)
    assert first == shuffled_teams(SEED, list(MLB_TEAMS), list(BUYERS))
    assert sorted(first) == sorted(MLB_TEAMS)
    assert first != shuffled_teams("another seed", MLB_TEAMS, BUYERS)


def test_changed_buyers_or_seed_fail_the_commitment_check() -> None:
    posted = commitment(SEED, MLB_TEAMS, BUYERS)
    assert verify(SEED, MLB_TEAMS, BUYERS, expected_commitment=posted, expected_seed_hash=seed_hash(SEED)).is_ok
    swapped = [BUYERS[1], BUYERS[0], *BUYERS[2:]]
    for seed, teams, buyers in ((SEED[:-1] + "0", MLB_TEAMS, BUYERS),  # another seed
                                (SEED, MLB_TEAMS, swapped),  # same names, other order
                                (SEED, MLB_TEAMS, [*BUYERS, "eve"]),  # one buyer added
                                (SEED, MLB_TEAMS, ["alicE", *BUYERS[1:]]),  # a name changed
                                (SEED, tuple(reversed(MLB_TEAMS)), BUYERS)):  # teams reordered
        checked = verify(seed, teams, buyers, expected_commitment=posted)
        assert not checked.is_ok
        assert "commitment does not match" in checked.problems[0]
    bad_seed = verify("not the seed", MLB_TEAMS, BUYERS, expected_seed_hash=seed_hash(SEED))
    assert bad_seed.problems == ("The seed does not match the seed hash posted when the break opened.",)


def test_bad_input_is_one_sentence() -> None:
    with pytest.raises(DrawError, match="31 buyers for 30 spots"):
        draw(SEED, MLB_TEAMS, [f"b{i}" for i in range(31)])
    with pytest.raises(DrawError, match="No buyers yet"):
        draw(SEED, MLB_TEAMS, [])
    with pytest.raises(DrawError, match="listed twice"):
        draw(SEED, ["A", "B", "A"], ["x"])
    with pytest.raises(DrawError, match="1 to 1000 spots"):
        teams_from_spec("0")
    assert teams_from_spec("MLB") == MLB_TEAMS
    assert teams_from_spec("3") == ("Spot 1", "Spot 2", "Spot 3")
    assert teams_from_spec(" Cubs , Mets ") == ("Cubs", "Mets")


def _docs_snippet() -> str:
    text = (ROOT / "docs" / "breaks.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


@pytest.mark.parametrize("teams,buyers", [
    (list(MLB_TEAMS), BUYERS),
    (list(numbered_spots(7)), ["ann", "ann", "bo", "cy", "dee", "ed", "flo"]),
    (["Cubs", "Mets", "Jays"], ["名前", "O'Brien"]),
])
def test_the_documented_plain_python_snippet_gives_the_same_draw(teams: list[str], buyers: list[str]) -> None:
    code = _docs_snippet().replace(
        'seed, teams, buyers = "SEED", ["Spot 1", "Spot 2", "Spot 3"], ["alice", "bob", "carol"]',
        f"seed, teams, buyers = {SEED!r}, {teams!r}, {buyers!r}")
    assert repr(SEED) in code, "the snippet's input line changed: update this test with the docs"
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(code, "docs/breaks.md", "exec"), {})  # noqa: S102 - our own documentation
    result = draw(SEED, teams, buyers)
    expected = [f"seed hash  {result.seed_hash}", f"commitment {result.commitment}"]
    expected += [f"{a.position} {a.buyer} -> {a.team}" for a in result.assignments]
    assert out.getvalue().splitlines() == expected


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seller_studio.cli.main", "break", "verify", *args],
                          capture_output=True, text=True, timeout=60, encoding="utf-8")


def test_verify_command_prints_the_draw_and_checks_the_commitment() -> None:
    result = draw(SEED, MLB_TEAMS, BUYERS)
    ok = _cli(SEED, *BUYERS, "--commitment", result.commitment, "--seed-hash", result.seed_hash)
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0] == f"seed hash:  {result.seed_hash}" and lines[1] == f"commitment: {result.commitment}"
    assert lines[2].split() == ["1", "alice", "Boston", "Red", "Sox"]
    assert lines[-1] == "OK: the seed hash and commitment match what was posted."
    swapped = _cli(SEED, "bob", "alice", *BUYERS[2:], "--commitment", result.commitment)
    assert swapped.returncode == 25
    assert "MISMATCH: The commitment does not match" in swapped.stdout
    too_many = _cli(SEED, "a", "b", "c", "--teams", "2")
    assert too_many.returncode == 26
    assert too_many.stderr.strip() == "seller-studio: error: 3 buyers for 2 spots: a break cannot have more buyers than spots."


def _chi_square_p_value(statistic: float, dof: int) -> float:
    """Upper tail of the chi-square distribution: the regularized gamma Q(dof/2, x/2)
    (series for x < a + 1, Lentz's continued fraction otherwise; Numerical Recipes 6.2)."""
    a, x = dof / 2.0, statistic / 2.0
    gln = math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return 1.0 - total * math.exp(-x + a * math.log(x) - gln)
    b = x + 1.0 - a
    c = 1.0 / 1e-300
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - gln) * h


def test_p_value_helper_matches_known_quantiles() -> None:
    # Published chi-square table: P(X > 42.557 | 29 dof) = 0.05, P(X > 3.841 | 1) = 0.05.
    assert _chi_square_p_value(42.557, 29) == pytest.approx(0.05, abs=2e-4)
    assert _chi_square_p_value(3.841, 1) == pytest.approx(0.05, abs=2e-4)
    assert _chi_square_p_value(29.0, 29) == pytest.approx(0.4657, abs=2e-3)


def test_ten_thousand_draws_are_uniform() -> None:
    draws = 10_000
    buyers = [f"buyer{i:02d}" for i in range(30)]
    first = Counter()
    cells = Counter()
    for n in range(draws):
        order = shuffled_teams(f"chi-square-{n}", MLB_TEAMS, buyers)
        first[order[0]] += 1
        for position, team in enumerate(order):
            cells[(position, team)] += 1
    expected_first = draws / 30
    chi_first = sum((first[t] - expected_first) ** 2 / expected_first for t in MLB_TEAMS)
    p_first = _chi_square_p_value(chi_first, 29)
    expected_cell = draws / 30
    chi_cells = sum((cells[(p, t)] - expected_cell) ** 2 / expected_cell for p in range(30) for t in MLB_TEAMS)
    dof_cells = 29 * 29  # a 30x30 table whose rows and columns each sum to 10,000
    p_cells = _chi_square_p_value(chi_cells, dof_cells)
    print(f"\nbreak draw uniformity, {draws} draws of 30 teams to 30 buyers:"
          f"\n  first buyer's team: chi-square {chi_first:.2f} on 29 dof, p = {p_first:.4f}"
          f"\n  position x team:    chi-square {chi_cells:.2f} on {dof_cells} dof, p = {p_cells:.4f}")
    assert p_first > 0.001 and p_cells > 0.001
    # And the test can fail: the classic wrong shuffle (j drawn from the whole list each step) gives
    # 4^4 = 256 equally likely paths onto 24 orders, which this chi-square catches.
    import random

    rng = random.Random(7)
    naive = Counter()
    for _ in range(draws):
        order = list("ABCD")
        for i in range(4):
            j = rng.randrange(4)
            order[i], order[j] = order[j], order[i]
        naive["".join(order)] += 1
    chi_naive = sum((naive[k] - draws / 24) ** 2 / (draws / 24) for k in naive)
    assert len(naive) == 24 and _chi_square_p_value(chi_naive, 23) < 0.001
