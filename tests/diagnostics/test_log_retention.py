"""Log retention: the newest sessions are kept whole (log, rotations, journal, crash files); older
sessions go entirely, so a year of daily shows does not fill the seller's disk."""

from __future__ import annotations

import os

from seller_studio.diagnostics.logsetup import KEEP_SESSIONS, _prune_old_sessions


def test_old_sessions_go_with_their_journals_and_crash_files(tmp_path):
    total = KEEP_SESSIONS + 5
    ids = [f"20261101-0000{n:02d}-{1000 + n}" for n in range(total)]
    for n, sid in enumerate(ids):
        for name in (f"session-{sid}.log", f"session-{sid}.log.1", f"journal-{sid}.jsonl",
                     f"crash-{sid}.txt", f"crash-{sid}.fault.txt"):
            path = tmp_path / name
            path.write_text("x")
            os.utime(path, (1_800_000_000 + n, 1_800_000_000 + n))  # oldest first
    (tmp_path / "journal-manual.jsonl").write_text("kept: not a session's file")
    _prune_old_sessions(tmp_path)
    left = {p.name for p in tmp_path.iterdir()}
    for sid in ids[:5]:
        assert not any(sid in name for name in left), sid
    for sid in ids[5:]:
        assert {f"session-{sid}.log", f"session-{sid}.log.1", f"journal-{sid}.jsonl", f"crash-{sid}.txt",
                f"crash-{sid}.fault.txt"} <= left
    assert "journal-manual.jsonl" in left
