"""The window's settings: profiles as JSON files in the config directory, secrets in the keyring.

A profile holds the destination, video and audio choices, hotkeys and the scene collection (sources
and layer rectangles). Stream keys and platform tokens are never written here: they go through
``SecretStore`` (the OS keyring, or memory for this session when there is no keyring backend).
Every settings file (profiles, ``studio.json``, the window's ``window.json``) is read defensively:
bytes, then UTF-8, then JSON, then the type of every field. One that fails any step is moved aside as
``NAME.corrupt-TIMESTAMP.json`` and replaced by defaults, and ``SettingsStore.notices`` says so in one
line for the window to show.

No Qt here: the settings dialog and the tests use the same model.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from seller_studio.common import paths
from seller_studio.common.secrets import SecretStore, platform_token_name, stream_key_name
from seller_studio.i18n import LANGUAGES, system_currency, tr_noop
from seller_studio.platform.rules import currency_error
from seller_studio.studio.scene_follow import check_rules

log = logging.getLogger(__name__)

# Ingest servers of common platforms (the seller pastes only the stream key).
PLATFORM_PRESETS: dict[str, str] = {
    "YouTube": "rtmp://a.rtmp.youtube.com/live2",
    "YouTube (RTMPS)": "rtmps://a.rtmps.youtube.com:443/live2",
    "Twitch": "rtmp://live.twitch.tv/app",
    "Facebook Live": "rtmps://live-api-s.facebook.com:443/rtmp",
    "Restream": "rtmp://live.restream.io/live",
}

DESTINATION_KINDS = ("sandbox", "preset", "custom")

# Hotkey actions a seller uses with busy hands, with their defaults (Qt key-sequence strings).
HOTKEY_ACTIONS: dict[str, str] = {
    **{f"scene_{n}": str(n) for n in range(1, 10)},
    "next_item": "N",
    "previous_item": "P",
    "start_auction": "A",
    "go_live": "Ctrl+Shift+L",
    "mute_mic": "M",
    "record": "Ctrl+Shift+R",
    "transition": "T",
}

HOTKEY_LABELS: dict[str, str] = {
    **{f"scene_{n}": tr_noop("Scene {n}").format(n=n) for n in range(1, 10)},
    "next_item": tr_noop("Next item"),
    "previous_item": tr_noop("Previous item"),
    "start_auction": tr_noop("Start auction"),
    "go_live": tr_noop("Go Live / End Show"),
    "mute_mic": tr_noop("Mute microphone"),
    "record": tr_noop("Record on/off"),
    "transition": tr_noop("Studio Mode: preview to program"),
}

# Landscape, then vertical (9:16: TikTok LIVE and phone-first shopping apps).
SIZES: list[tuple[int, int]] = [(1920, 1080), (1280, 720), (960, 540), (854, 480), (640, 360), (1080, 1920), (720, 1280)]


@dataclass
class DestinationPrefs:
    kind: str = "sandbox"  # sandbox | preset | custom
    preset: str = "YouTube"
    url: str = ""  # custom ingest URL (rtmp://, rtmps://, srt://, whip://, whips://), without the key
    platform_url: str = ""  # ws:// or wss:// of the live-shopping platform (empty: none)

    def ingest_url(self) -> str:
        if self.kind == "preset":
            return PLATFORM_PRESETS.get(self.preset, "")
        return self.url


@dataclass
class VideoPrefs:
    width: int = 1280
    height: int = 720
    fps: int = 30
    encoder: str = "x264"
    bitrate_kbps: int = 2500


@dataclass
class VerticalPrefs:
    """The second (vertical, 9:16) canvas beside a landscape one: same sources and sound, its own
    scenes (derived from the landscape scenes until edited) and its own encode. Off until the seller
    turns it on (or a destination streams to it)."""

    is_enabled: bool = False
    width: int = 720
    height: int = 1280
    bitrate_kbps: int = 2500


@dataclass
class AudioPrefs:
    mic: str = "auto"  # auto (first microphone, else none) | tone | silence | none | a device name
    gain_db: float = 0.0


@dataclass
class Profile:
    name: str = "Default"
    destination: DestinationPrefs = field(default_factory=DestinationPrefs)
    video: VideoPrefs = field(default_factory=VideoPrefs)
    audio: AudioPrefs = field(default_factory=AudioPrefs)
    hotkeys: dict[str, str] = field(default_factory=lambda: dict(HOTKEY_ACTIONS))
    # Scene collection: [{"id", "kind", "spec", "label"}] and [{"name", "layers": [{"source_id", "rect"}]}]
    sources: list[dict[str, Any]] = field(default_factory=list)
    scenes: list[dict[str, Any]] = field(default_factory=list)
    record_dir: str = ""  # empty: data_dir()/recordings
    countdown_s: int = 3
    record_when_live: bool = False  # a recording starts with Go Live and stops with End Show
    fade_ms: int = 300  # Studio Mode's Fade button
    # Scenes that follow the show (studio/scene_follow.py): moment ("auction", "draw", "item",
    # "show_end", "item:ID") -> scene name
    scene_follow: dict[str, str] = field(default_factory=dict)
    vertical: VerticalPrefs = field(default_factory=VerticalPrefs)
    # The vertical canvas's scenes the seller edited (same names as the landscape scenes, layers in
    # pixels of their "canvas"); every other landscape scene gets a derived vertical one.
    vertical_scenes: list[dict[str, Any]] = field(default_factory=list)
    # More destinations beside ``destination`` (docs/destinations.md): [{"name", "url", "canvas",
    # "preset", "protocol"}]; the key of each is the keyring entry stream-key:NAME, never here.
    destinations: list[dict[str, str]] = field(default_factory=list)
    # The studio's language ("" follows the system; "en", "nb") and the show's currency (ISO 4217;
    # "" follows the system's region: nb_NO -> NOK, else USD). docs/i18n.md.
    language: str = ""
    currency: str = ""

    @property
    def show_currency(self) -> str:
        """The currency this profile's shows are priced in."""
        return self.currency or system_currency()

    @property
    def has_vertical_canvas(self) -> bool:
        """The studio composes a vertical canvas: turned on in Settings, or a destination streams it."""
        return self.vertical.is_enabled or any(d.get("canvas") == "vertical" for d in self.destinations)

    @property
    def secret_id(self) -> str:
        """Keyring entry suffix: one stream key per profile and destination kind."""
        d = self.destination
        where = d.preset if d.kind == "preset" else d.kind
        return f"{self.name}:{where}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        """A profile from its JSON; ValueError naming the field for anything of the wrong type or shape
        (the file is then treated as damaged: set aside, defaults used)."""
        if not isinstance(data, dict):
            raise ValueError(tr_noop("a profile must be a JSON object"))

        def pick(kind: type, raw: Any, where: str) -> Any:
            if raw is None:
                return kind()
            _expect(raw, dict, where)
            values = {}
            for f in fields(kind):
                if f.name in raw:
                    values[f.name] = _expect(raw[f.name], _FIELD_TYPES[f.type], f"{where}.{f.name}")
            return kind(**values)

        hotkeys = _expect(data.get("hotkeys", {}), dict, "hotkeys")
        for action, keys in hotkeys.items():
            _expect(keys, str, f"hotkeys.{action}")
        profile = cls(
            name=_expect(data.get("name", "Default"), str, "name"),
            destination=pick(DestinationPrefs, data.get("destination"), "destination"),
            video=pick(VideoPrefs, data.get("video"), "video"),
            audio=pick(AudioPrefs, data.get("audio"), "audio"),
            hotkeys={**HOTKEY_ACTIONS, **{k: v for k, v in hotkeys.items() if k in HOTKEY_ACTIONS}},
            sources=_check_sources(data.get("sources", [])),
            scenes=_check_scenes(data.get("scenes", [])),
            record_dir=_expect(data.get("record_dir", ""), str, "record_dir"),
            countdown_s=_expect(data.get("countdown_s", 3), int, "countdown_s"),
            record_when_live=_expect(data.get("record_when_live", False), bool, "record_when_live"),
            fade_ms=_expect(data.get("fade_ms", 300), int, "fade_ms"),
            scene_follow=check_rules(data.get("scene_follow", {})),
            # Profiles written before the second canvas have neither: it starts off, all scenes derived.
            vertical=pick(VerticalPrefs, data.get("vertical"), "vertical"),
            vertical_scenes=_check_scenes(data.get("vertical_scenes", []), "vertical_scenes"),
            destinations=_check_destinations(data.get("destinations", [])),
            language=_expect(data.get("language", ""), str, "language"),
            currency=_expect(data.get("currency", ""), str, "currency"),
        )
        # A language or currency this studio does not have is not damage: follow the system instead.
        if profile.language not in ("", *LANGUAGES):
            log.warning("profile language %r is not one the studio has; following the system", profile.language)
            profile.language = ""
        if profile.currency and currency_error(profile.currency) is not None:
            log.warning("profile currency %r is not supported; following the system", profile.currency)
            profile.currency = ""
        if not 0 <= profile.countdown_s <= 60:
            raise ValueError(tr_noop("countdown_s must be 0-60"))
        if not 0 <= profile.fade_ms <= 5000:
            raise ValueError(tr_noop("fade_ms must be 0-5000"))
        validate_video(profile.video)
        validate_vertical(profile.vertical)
        if profile.destination.kind not in DESTINATION_KINDS:
            raise ValueError(tr_noop("unknown destination kind {value}").format(value=repr(profile.destination.kind)))
        return profile


_FIELD_TYPES: dict[Any, type] = {"str": str, "int": int, "float": float, "bool": bool,
                                 str: str, int: int, float: float, bool: bool}
_TYPE_WORDS = {bool: tr_noop("true or false"), str: tr_noop("text"), int: tr_noop("a whole number"),
               float: tr_noop("a number"), dict: tr_noop("an object"), list: tr_noop("a list")}


def _expect(value: Any, kind: type, where: str) -> Any:
    """``value`` if it is a ``kind`` (JSON's way: an int is a fine float, a bool is not a number)."""
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise ValueError(tr_noop("`{where}` must be {kind}, not {type}").format(
            where=where, kind=_TYPE_WORDS.get(kind, kind.__name__), type=type(value).__name__))
    return value


DESTINATION_FIELDS = ("name", "url", "canvas", "preset", "protocol")


def _check_destinations(raw: Any) -> list[dict[str, str]]:
    """The profile's extra destinations: a list of objects whose fields are all text."""
    _expect(raw, list, "destinations")
    result = []
    for i, item in enumerate(raw):
        _expect(item, dict, f"destinations[{i}]")
        entry = {k: _expect(item.get(k, ""), str, f"destinations[{i}].{k}") for k in DESTINATION_FIELDS}
        if not entry["name"] or not entry["url"]:
            raise ValueError(tr_noop("destinations[{i}] needs a name and a url").format(i=i))
        result.append(entry)
    return result


def _check_sources(raw: Any) -> list[dict[str, Any]]:
    for i, source in enumerate(_expect(raw, list, "sources")):
        _expect(source, dict, f"sources[{i}]")
        for key in ("id", "kind"):
            _expect(source.get(key), str, f"sources[{i}].{key}")
        for key in ("spec", "label"):
            if key in source:
                _expect(source[key], str, f"sources[{i}].{key}")
    return list(raw)


def _check_scenes(raw: Any, key: str = "scenes") -> list[dict[str, Any]]:
    for i, scene in enumerate(_expect(raw, list, key)):
        _expect(scene, dict, f"{key}[{i}]")
        _expect(scene.get("name"), str, f"{key}[{i}].name")
        if scene.get("canvas") is not None:
            canvas = _expect(scene["canvas"], list, f"{key}[{i}].canvas")
            if len(canvas) != 2:
                raise ValueError(tr_noop("`{where}.canvas` must be [width, height]").format(where=f"{key}[{i}]"))
            for v in canvas:
                _expect(v, int, f"{key}[{i}].canvas")
        for j, layer in enumerate(_expect(scene.get("layers", []), list, f"{key}[{i}].layers")):
            where = f"{key}[{i}].layers[{j}]"
            _expect(layer, dict, where)
            _expect(layer.get("source_id"), str, f"{where}.source_id")
            rect = layer.get("rect")
            if rect is not None:
                if not isinstance(rect, list) or len(rect) != 4:
                    raise ValueError(tr_noop("`{where}.rect` must be [x, y, width, height] or null").format(where=where))
                for v in rect:
                    _expect(v, float, f"{where}.rect")
    return list(raw)


def validate_video(v: VideoPrefs) -> None:
    """Raise ValueError with one line when the video settings cannot work."""
    if not (160 <= int(v.width) <= 4096 and 90 <= int(v.height) <= 2304) or v.width % 2 or v.height % 2:
        raise ValueError(tr_noop("video size {width}x{height} is not supported: use even numbers up to 4096x2304").format(
            width=v.width, height=v.height))
    if not 1 <= int(v.fps) <= 120:
        raise ValueError(tr_noop("{fps} fps is not supported: use 1 to 120").format(fps=v.fps))
    if not 200 <= int(v.bitrate_kbps) <= 50_000:
        raise ValueError(tr_noop("bitrate {kbps} kbps is out of range: use 200 to 50000").format(kbps=v.bitrate_kbps))


def validate_vertical(v: VerticalPrefs) -> None:
    """Raise ValueError with one line when the vertical canvas's settings cannot work."""
    if not (90 <= int(v.width) <= 2304 and 160 <= int(v.height) <= 4096) or v.width % 2 or v.height % 2:
        raise ValueError(tr_noop("vertical size {width}x{height} is not supported: use even numbers up to 2304x4096").format(
            width=v.width, height=v.height))
    if v.height <= v.width:
        raise ValueError(tr_noop("vertical size {width}x{height} is not upright: the height must be the larger, "
                                 "e.g. 720x1280").format(width=v.width, height=v.height))
    if not 200 <= int(v.bitrate_kbps) <= 50_000:
        raise ValueError(tr_noop("vertical bitrate {kbps} kbps is out of range: use 200 to 50000").format(kbps=v.bitrate_kbps))


def safe_profile_name(name: str) -> str:
    """Profile names become file names: letters, digits, space, dash and underscore only."""
    cleaned = re.sub(r"[^A-Za-z0-9 _-]", "", name).strip()
    if not cleaned:
        raise ValueError(tr_noop("a profile name needs at least one letter or digit"))
    return cleaned[:60]


class SettingsStore:
    """Profiles in ``config_dir()/profiles``, the app state (active profile, first run) beside them."""

    def __init__(self, root: Path | None = None, secrets: SecretStore | None = None) -> None:
        self.root = root or paths.config_dir()
        self.secrets = secrets or SecretStore()
        self.notices: list[str] = []  # one line each, shown by the window once

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def state_path(self) -> Path:
        return self.root / "studio.json"

    # -- app state ------------------------------------------------------------------------------
    def load_state(self) -> dict[str, Any]:
        data = self._read_json(self.state_path, tr_noop("studio settings"))
        if data is None:
            return {}
        problem = None if isinstance(data, dict) else tr_noop("not a JSON object")
        if problem is None and not isinstance(data.get("active_profile", ""), str):
            problem = tr_noop("`active_profile` must be text")
        if problem is None and not isinstance(data.get("first_run_done", False), bool):
            problem = tr_noop("`first_run_done` must be true or false")
        if problem is not None:
            self._quarantine(self.state_path, tr_noop("studio settings"), problem)
            return {}
        return data

    def save_state(self, state: dict[str, Any]) -> None:
        _write_json(self.state_path, state)

    # -- profiles ---------------------------------------------------------------------------------
    def profile_names(self) -> list[str]:
        if not self.profiles_dir.is_dir():
            return []
        return sorted(p.stem for p in self.profiles_dir.glob("*.json") if ".corrupt-" not in p.name)

    def profile_path(self, name: str) -> Path:
        return self.profiles_dir / f"{safe_profile_name(name)}.json"

    def load_profile(self, name: str | None = None) -> Profile:
        """The named (or active) profile; defaults when it does not exist or is corrupt."""
        name = name or self.load_state().get("active_profile") or "Default"
        try:
            safe_profile_name(name)
        except ValueError:
            name = "Default"  # a hand-edited studio.json naming no usable profile
        path = self.profile_path(name)
        if not path.exists():
            return Profile(name=safe_profile_name(name))
        data = self._read_json(path, tr_noop("profile '{name}'").format(name=name))
        if data is None:
            return Profile(name=safe_profile_name(name))
        try:
            profile = Profile.from_json(data)
        except (ValueError, TypeError) as exc:
            self._quarantine(path, tr_noop("profile '{name}'").format(name=name), str(exc))
            return Profile(name=safe_profile_name(name))
        profile.name = safe_profile_name(name)
        return profile

    def save_profile(self, profile: Profile, make_active: bool = True) -> Path:
        profile.name = safe_profile_name(profile.name)
        validate_video(profile.video)
        path = self.profile_path(profile.name)
        _write_json(path, profile.to_json())
        if make_active:
            state = self.load_state()
            state["active_profile"] = profile.name
            self.save_state(state)
        return path

    def delete_profile(self, name: str) -> None:
        path = self.profile_path(name)
        if path.exists():
            path.unlink()

    # -- secrets (keyring only) --------------------------------------------------------------------
    def stream_key(self, profile: Profile) -> str:
        return self.secrets.get(stream_key_name(profile.secret_id)) or ""

    def set_stream_key(self, profile: Profile, key: str) -> bool:
        """True when saved in the keyring; False when kept in memory for this session only."""
        if not key:
            self.secrets.delete(stream_key_name(profile.secret_id))
            return self.secrets.is_persistent
        return self.secrets.set(stream_key_name(profile.secret_id), key.strip())

    def platform_token(self, profile: Profile) -> str:
        return self.secrets.get(platform_token_name(profile.secret_id)) or ""

    def set_platform_token(self, profile: Profile, token: str) -> bool:
        if not token:
            self.secrets.delete(platform_token_name(profile.secret_id))
            return self.secrets.is_persistent
        return self.secrets.set(platform_token_name(profile.secret_id), token.strip())

    @property
    def memory_only_notice(self) -> str:
        return tr_noop("No system keyring is available: the stream key is kept in memory for this session only "
                       "and must be entered again next time.")

    # -- helpers ---------------------------------------------------------------------------------------
    def _read_json(self, path: Path, what: str) -> Any:
        data, notice = read_json_defensively(path, what)
        if notice:
            self.notices.append(notice)
        return data

    def _quarantine(self, path: Path, what: str, reason: str) -> None:
        self.notices.append(quarantine(path, what, reason))


def read_json_defensively(path: Path, what: str) -> tuple[Any, str | None]:
    """(the parsed JSON or None, a one-line notice or None). Bytes first, then UTF-8, then JSON: a file
    that fails is moved aside (``quarantine``); a file that cannot be read at all is left alone."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, tr_noop("Could not read the {what} ({error}); using defaults.").format(what=what, error=exc.strerror)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, quarantine(path, what, tr_noop("not UTF-8 text at byte {byte}").format(byte=exc.start))
    try:
        return json.loads(text), None
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, quarantine(path, what, tr_noop("not valid JSON at line {line}").format(line=getattr(exc, "lineno", "?")))


def quarantine(path: Path, what: str, reason: str) -> str:
    """Move a damaged settings file aside as NAME.corrupt-TIME.SUFFIX; returns the notice line."""
    backup = path.with_name(f"{path.stem}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
    try:
        path.replace(backup)
    except OSError:
        log.warning("%s unreadable (%s); replaced by defaults", what, reason)
        return tr_noop("The {what} was damaged ({reason}) and was reset to defaults.").format(what=what, reason=reason)
    log.warning("%s unreadable (%s); replaced by defaults", what, reason)
    return tr_noop("The {what} was damaged ({reason}) and was reset to defaults; the old file was kept as {backup}.").format(
        what=what, reason=reason, backup=backup.name)


def _write_json(path: Path, data: Any) -> None:
    """Write to a temp file and rename, so a crash never leaves half a settings file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
