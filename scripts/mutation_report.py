"""Score per module from `mutmut results --all true` (lines "    <mutant name>: <status>").

Killed (and timed out: the mutant hung the code) count as caught; survived and "no tests" do not.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

CAUGHT = {"killed", "timeout"}


def module_of(mutant: str) -> str:
    # seller_studio.common.backoff.xǁReconnectPolicyǁdelay_s__mutmut_3 / seller_studio.x.y.x_func__mutmut_1
    return mutant.split("__mutmut_")[0].rsplit(".", 1)[0]


def main(path: str) -> int:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        name, sep, status = line.strip().rpartition(": ")
        if not sep or "__mutmut_" not in name:
            continue
        if status == "not checked":  # outside this run's selection (a name glob was given)
            continue
        module = module_of(name)
        by_module[module][status] += 1
        if status not in CAUGHT and status != "skipped":
            survivors[module].append(f"{name} ({status})")
    print(f"{'module':<48} {'killed':>7} {'survived':>9} {'no tests':>9} {'score':>7}")
    total_caught = total = 0
    for module, counts in sorted(by_module.items()):
        caught = sum(counts[s] for s in CAUGHT)
        counted = sum(counts.values()) - counts["skipped"]
        total_caught, total = total_caught + caught, total + counted
        score = 100.0 * caught / counted if counted else 100.0
        print(f"{module:<48} {caught:>7} {counts['survived']:>9} {counts['no tests']:>9} {score:>6.1f}%")
    if total:
        print(f"{'all':<48} {total_caught:>7} {'':>9} {'':>9} {100.0 * total_caught / total:>6.1f}%")
    print("\nSurvivors (inspect one with `.venv/bin/mutmut show NAME`):")
    for _module, names in sorted(survivors.items()):
        for name in names:
            print("  " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/mutation-results.txt"))
