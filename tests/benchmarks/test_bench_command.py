"""`seller-studio bench --quick --json` runs end to end and its figures hang together.

The speed targets themselves (ratio <= 1.15, latency p95 <= 150 ms) are printed by the bench and
quoted in the README; a timed assertion here would only flake on a busy CI machine.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from seller_studio.common.errors import ExitCode
from tests.helpers import SELLER_STUDIO


@pytest.mark.rtmp
def test_bench_quick_json():
    proc = subprocess.run(SELLER_STUDIO + ["bench", "--quick", "--json"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    sizes = [row["size"] for row in result["cpu"]]
    assert sizes == ["1280x720", "1920x1080"]
    for row in result["cpu"]:
        assert row["studio_cpu_ms_per_frame"] > 0 and row["ffmpeg_cpu_ms_per_frame"] > 0
        assert row["ratio"] == pytest.approx(row["studio_cpu_ms_per_frame"] / row["ffmpeg_cpu_ms_per_frame"], rel=0.01)
        print(f"\n{row['size']}: studio {row['studio_cpu_ms_per_frame']} ms/frame, ffmpeg "
              f"{row['ffmpeg_cpu_ms_per_frame']} ms/frame, ratio {row['ratio']}")
    lat = result["latency"]
    assert "error" not in lat, lat
    assert lat["frames"] > 60 and lat["p50_ms"] <= lat["p95_ms"] <= lat["p99_ms"] and lat["missing_frames"] == 0
    print(f"latency p50 {lat['p50_ms']} ms p95 {lat['p95_ms']} ms")
    rec = result["recommended"]
    assert {"width", "height", "fps", "bitrate_kbps"} <= rec.keys()
    fits = [v for v in result["sustainable"] if v["fits"]]
    assert f"{rec['width']}x{rec['height']}" in {v["size"] for v in fits} or not fits


@pytest.mark.rtmp
@pytest.mark.slow
def test_bench_end_to_end_on_a_file_json(tmp_path):
    """`bench --source FILE`: whole-process runs of the studio and of ffmpeg on the same file, the
    demo scene with overlays, and the compositor's time per frame."""
    clip = tmp_path / "clip.y4m"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "1",
                    "-pix_fmt", "yuv420p", str(clip)], check=True)
    proc = subprocess.run(SELLER_STUDIO + ["bench", "--source", str(clip), "--run-seconds", "3", "--pairs", "1",
                                           "--json"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert [c["case"] for c in result["cases"]] == ["640x360@30", "640x360@30 demo scene"]
    for case in result["cases"]:
        studio, ffmpeg = case["studio"][0], case["ffmpeg"][0]
        assert studio["cpu_s"] > 0 and ffmpeg["cpu_s"] > 0 and studio["max_rss_mb"] > 20
        assert case["ratio"] == pytest.approx(studio["cpu_s"] / ffmpeg["cpu_s"], rel=0.01)
        assert studio["frames"] + studio["dropped"] >= 80  # 3 s at 30 fps, what it rendered or skipped
        assert 0 < studio["first_frame_s"] < 30
        print(f"\n{case['case']}: ratio {case['ratio']} (studio {studio['cpu_s']} s, ffmpeg {ffmpeg['cpu_s']} s)")
    times = result["compositor_ms_per_frame"]["720p30"]
    assert times["i420"]["0"] < times["i420"]["3"]  # the fast path copies nothing; overlays cost something
    assert 0 < result["version_cpu_s"] < 5


def test_bench_source_that_is_not_a_video_is_one_line(tmp_path):
    bad = tmp_path / "notes.y4m"
    bad.write_text("not a video")
    proc = subprocess.run(SELLER_STUDIO + ["bench", "--source", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == int(ExitCode.BAD_MEDIA_FILE) and proc.stderr.count("\n") == 1, proc.stderr
    assert "cannot play video file" in proc.stderr and "Traceback" not in proc.stderr
