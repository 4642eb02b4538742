"""The Linux installer bundle, built and smoke-tested by scripts/build_bundle.sh (slow: on demand).

    scripts/test.sh -m bundle
"""

from __future__ import annotations

import json
import subprocess
import tarfile

import cv2
import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.bundle


@pytest.mark.timeout(1800)
def test_linux_bundle_builds_and_runs_without_python():
    proc = subprocess.run(["bash", str(REPO / "scripts" / "build_bundle.sh")], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"build_bundle.sh failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    print(proc.stdout)
    report = json.loads((REPO / "build" / "bundle-smoke" / "report.json").read_text())

    from importlib.metadata import version

    assert report["version"] == version("seller-studio")
    assert report["version_output"] == f"seller-studio {report['version']}"
    assert report["stream_ingest_s"] >= 2.0
    assert "h264" in report["stream_codecs"] and "aac" in report["stream_codecs"]
    assert 0 < report["version_first_run_s"] < 30
    assert 0 < report["window_shown_s"] < 30

    with tarfile.open(report["archive"]) as tar:
        names = set(tar.getnames())
    top = f"SellerStudio-{report['version']}-linux-"
    root = next(n for n in names if n.startswith(top) and "/" not in n)
    for member in ("AppRun", "seller-studio.desktop", "seller-studio.png", ".DirIcon", "install-desktop-entry.sh",
                   "usr/bin/seller-studio", "usr/lib/seller-studio/seller-studio",
                   "usr/share/icons/hicolor/256x256/apps/seller-studio.png"):
        assert f"{root}/{member}" in names, member

    shot = cv2.imread(report["screenshot"])
    assert shot is not None and shot.shape[:2] == (900, 1600)
    assert shot.std() > 20, "the screenshot is (nearly) one colour: no window was drawn"
