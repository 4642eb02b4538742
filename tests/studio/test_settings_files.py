"""Issue 15 "Files": every settings file read defensively (bytes, JSON, types); a damaged one is moved
aside with a one-line notice and defaults are used. Real files in the test's own app home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seller_studio.studio.settings import Profile, SettingsStore

pytestmark = pytest.mark.timeout(30)


def write_profile(store: SettingsStore, body: bytes | str, name: str = "Default") -> Path:
    path = store.profile_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return path


def assert_set_aside(path: Path, store: SettingsStore, *words: str) -> None:
    assert not path.exists()
    assert len(list(path.parent.glob(f"{path.stem}.corrupt-*{path.suffix}"))) == 1
    assert len(store.notices) == 1 and "reset to defaults" in store.notices[0], store.notices
    for word in words:
        assert word in store.notices[0], store.notices[0]


@pytest.mark.parametrize(("body", "words"), [
    (b'{"name": "Default", "title": "caf\xe9"}', ("not UTF-8",)),  # Windows-1252 bytes
    (b"\xff\xfe\x00\x00garbage", ("not UTF-8",)),
    ('{"hotkeys": "abc"}', ("`hotkeys`",)),
    ('{"sources": [42]}', ("`sources[0]`",)),
    ('{"sources": [{"id": 1, "kind": "camera"}]}', ("`sources[0].id`",)),
    ('{"scenes": [{"name": "A", "layers": [{"source_id": "x", "rect": "full"}]}]}', ("rect",)),
    ('{"audio": {"gain_db": "loud"}}', ("`audio.gain_db`",)),
    ('{"destination": {"url": 5}}', ("`destination.url`",)),
    ('{"video": []}', ("`video`",)),
    ('{"countdown_s": true}', ("`countdown_s`",)),
    ('{"hotkeys": {"go_live": 5}}', ("`hotkeys.go_live`",)),
    ("[1, 2]", ("JSON object",)),
    ("[" * 100_000, ("JSON",)),
])
def test_a_damaged_profile_is_set_aside_and_defaults_used(body: bytes | str, words: tuple[str, ...]) -> None:
    store = SettingsStore()
    path = write_profile(store, body)
    profile = store.load_profile("Default")
    assert profile == Profile(name="Default")
    assert_set_aside(path, store, *words)


def test_a_good_profile_still_round_trips() -> None:
    store = SettingsStore()
    profile = Profile(name="Main")
    profile.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"}]
    profile.scenes = [{"name": "A", "canvas": [1280, 720],
                       "layers": [{"source_id": "pattern-1", "rect": [0, 0, 640.5, 360], "visible": True}]}]
    profile.audio.gain_db = 3
    store.save_profile(profile)
    loaded = store.load_profile("Main")
    assert loaded.scenes == profile.scenes and loaded.sources == profile.sources and loaded.audio.gain_db == 3.0
    assert store.notices == []


@pytest.mark.parametrize("body", [b"\x93smart quotes\x94", b"[1]", b'{"active_profile": 5}',
                                  b'{"first_run_done": "yes"}'])
def test_a_damaged_studio_json_is_set_aside(body: bytes) -> None:
    store = SettingsStore()
    store.state_path.parent.mkdir(parents=True, exist_ok=True)
    store.state_path.write_bytes(body)
    assert store.load_state() == {}
    assert store.load_profile() == Profile(name="Default")  # the studio opens with defaults
    assert_set_aside(store.state_path, store)


def test_a_non_utf8_studio_json_is_set_aside_with_its_bytes_kept(tmp_path: Path, _isolated_home: Path) -> None:
    """`studio` used to crash reading this file (read_text raised UnicodeDecodeError) before its window opened."""
    from seller_studio.common import paths

    state = paths.config_dir() / "studio.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(b'{"active_profile": "Caf\xe9"}')
    store = SettingsStore()
    assert not store.load_state().get("first_run_done")
    assert "studio settings" in store.notices[0] and json.loads(
        next(state.parent.glob("studio.corrupt-*.json")).read_bytes().decode("cp1252"))
