"""How faithful is `seller-studio reproduce`, next to how repeatable the studio itself is?

    .venv/bin/python benchmarks/reproduce_fidelity.py [--spec slow-uplink@6s:400kbps:12s] [--seconds 32] [--runs 3]

Records the same injected fault ``--runs`` times with `seller-studio stream --simulate` into a local
nginx-rtmp (320x180, 800 kbps), reproduces each recording with `seller-studio reproduce --headless`,
and prints two sets of figures: each original against the other originals (the noise floor: the same
fault twice) and each original against its reproduction (max verdict offset, reconnects, dropped %).
A reproduction cannot be closer to its original than two recordings of the same fault are to each other.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seller_studio.diagnostics.journal import read_journal  # noqa: E402
from seller_studio.diagnostics.repro_compare import compare  # noqa: E402
from seller_studio.diagnostics.rtmp_server import RtmpServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="slow-uplink@6s:400kbps:12s")
    parser.add_argument("--seconds", type=float, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reproduce-fidelity-"))
    server = RtmpServer(work / "nginx").start()
    originals, reproductions = [], []
    try:
        for run in range(args.runs):
            original = work / f"original-{run}.jsonl"
            subprocess.run([sys.executable, "-m", "seller_studio", "stream", "--url", f"{server.url}/o{run}", "--no-key",
                            "--size", "320x180", "--bitrate", "800", "--duration", str(args.seconds),
                            "--simulate", args.spec, "--journal", str(original)], check=True, capture_output=True)
            reproduced = work / f"reproduced-{run}.jsonl"
            result = subprocess.run([sys.executable, "-m", "seller_studio", "reproduce", str(original), "--headless",
                                     "--ingest", server.url, "--journal-out", str(reproduced)],
                                    capture_output=True, text=True)
            derived = result.stdout.split("--simulate ", 1)[1].splitlines()[0] if "--simulate " in result.stdout else "?"
            print(f"run {run}: injected {args.spec}, derived {derived}", flush=True)
            originals.append(read_journal(original.read_text()))
            reproductions.append(read_journal(reproduced.read_text()))
    finally:
        server.stop()
    print("\nthe same fault twice (noise floor):")
    for a, b in itertools.combinations(range(len(originals)), 2):
        f = compare(originals[a], originals[b]).figures()
        print(f"  original {a} vs original {b}: max verdict offset {f['max_verdict_offset_s']} s, "
              f"verdicts {f['verdicts_original']} / {f['verdicts_reproduced']}, dropped % {f['dropped_pct']}")
    print("\neach original vs its reproduction:")
    for run, (o, r) in enumerate(zip(originals, reproductions, strict=True)):
        f = compare(o, r).figures()
        print(f"  run {run}: match {f['match']}, max verdict offset {f['max_verdict_offset_s']} s, "
              f"verdicts {f['verdicts_original']} / {f['verdicts_reproduced']}, reconnects {f['reconnects']}, "
              f"dropped % {f['dropped_pct']}")
    print(f"\njournals in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
