"""The mutations issue 19 named as surviving, each applied to a copy of the package and run against the
test that must now catch it: a deterministic slice of `scripts/mutation.sh` in the default run.

If a product change moves the mutated line, update its entry (the test says which one is stale)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str  # under seller_studio/
    original: str
    mutated: str
    killer: str  # the test (node id) that must fail on the mutant


MUTATIONS = [
    Mutation("counter-bid window 10 -> 6 s", "platform/rules.py",
             "COUNTER_BID_WINDOW_S = 10.0", "COUNTER_BID_WINDOW_S = 6.0",
             "tests/platform/test_rule_edges.py::test_counter_bid_window_is_the_last_10_seconds"),
    Mutation("counter-bid extension may shorten the clock", "platform/sandbox/auction.py",
             "auction.ends_at = max(auction.ends_at, now + auction.counter_bid_s)",
             "auction.ends_at = now + auction.counter_bid_s",
             "tests/platform/test_rule_edges.py::test_counter_bid_extension_never_shortens_the_clock_exactly"),
    Mutation("clock sync without the round-trip midpoint", "show/selling.py",
             "server_time - (sent_at + received_at) / 2.0", "server_time - received_at",
             "tests/show/test_clock_sync_exact.py::test_offset_uses_the_round_trip_midpoint"),
    Mutation("clock sync from the latest sample", "show/selling.py",
             "min(self._samples, key=lambda s: s[0])", "self._samples[-1]",
             "tests/show/test_clock_sync_exact.py::test_the_lowest_round_trip_sample_wins_not_the_latest"),
    Mutation("first retry 2 -> 6 s", "common/backoff.py",
             "first_delay_s: float = 2.0", "first_delay_s: float = 6.0",
             "tests/media/test_policy_thresholds.py::test_default_reconnect_policy_first_retry_after_2_s_then_x1_5"),
    Mutation("reconnect now is a no-op", "media/outputs/stream.py",
             '"""Skip the rest of a backoff wait."""\n        self._wake.set()',
             '"""Skip the rest of a backoff wait."""\n        pass',
             "tests/media/test_stay_live.py::test_reconnect_now_skips_the_wait"),
    Mutation("dynamic bitrate lowers only past 800 ms instead of 200 ms", "media/outputs/bitrate.py",
             "    lower_ms = 200.0", "    lower_ms = 800.0",
             "tests/media/test_policy_thresholds.py::test_dynamic_bitrate_lowers_once_the_buffer_passes_200_ms_not_before"),
    Mutation("disposable-drop threshold 700 -> 300 ms", "media/outputs/send_buffer.py",
             "drop_disposable_ms: float = 700.0", "drop_disposable_ms: float = 300.0",
             "tests/media/test_policy_thresholds.py::test_disposable_video_goes_only_past_700_ms"),
    Mutation("drop-all-video threshold 900 -> 760 ms", "media/outputs/send_buffer.py",
             "drop_all_video_ms: float = 900.0", "drop_all_video_ms: float = 760.0",
             "tests/media/test_policy_thresholds.py::test_all_video_goes_only_past_900_ms"),
    Mutation("hardware encoder probe removed", "media/encoders/h264.py",
             "                probe.open()\n                probe.probe()\n", "                probe.open()\n",
             "tests/media/test_encoder_fallback.py::test_an_encoder_that_opens_but_cannot_encode_falls_back_to_x264"),
    Mutation("fallback catches only FFmpegError", "media/encoders/h264.py",
             "            except (av.FFmpegError, ValueError, OSError) as exc:\n                reasons.append",
             "            except av.FFmpegError as exc:\n                reasons.append",
             "tests/media/test_encoder_fallback.py::test_a_probe_failing_with_a_non_ffmpeg_error_falls_back"),
    Mutation("rtmps:// key path segment not redacted", "diagnostics/redact.py",
             r'(re.compile(r"(\brtmps?://', r'(re.compile(r"(\brtmp://',
             "tests/show/test_safety_edges.py::test_stream_key_path_segment_is_masked"),
    Mutation("CR no longer a formula trigger", "show/csv_safety.py",
             '"\\t", "\\r")', '"\\t")',
             "tests/show/test_safety_edges.py::test_each_formula_trigger_is_neutralised"),
    Mutation("error answers not cached for idempotent re-sends", "platform/sandbox/server.py",
             'if answer.data.get("code") != ErrorCode.RATE_LIMITED:', 'if answer.type != "error":',
             "tests/platform/test_rule_edges.py::test_an_error_answer_is_cached_for_a_resend_too"),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and the tests; each mutation is applied to a fresh copy of one file."""
    base = tmp_path_factory.mktemp("mutation-subset")
    shutil.copytree(ROOT / "seller_studio", base / "seller_studio",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", base / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", base / "pyproject.toml")
    return base


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_the_named_mutation_is_caught(pristine: Path, mutation: Mutation) -> None:
    target = pristine / "seller_studio" / mutation.path
    source = (ROOT / "seller_studio" / mutation.path).read_text()
    assert source.count(mutation.original) == 1, (
        f"stale entry {mutation.name!r}: {mutation.path} no longer has the mutated line exactly once")
    target.write_text(source.replace(mutation.original, mutation.mutated))
    try:
        env = {**os.environ, "PYTHONPATH": str(pristine)}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x",
                               "-p", "no:randomly", mutation.killer],
                              cwd=pristine, env=env, capture_output=True, text=True, timeout=170)
    finally:
        target.write_text(source)
    out = proc.stdout + proc.stderr
    # 1: tests ran and failed (2 would be a collection error, 5 no test: neither counts as a kill)
    assert proc.returncode == 1, f"the mutant survived {mutation.killer} (rc {proc.returncode}):\n{out[-2000:]}"
    assert " failed" in out, out[-2000:]
