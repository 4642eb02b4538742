"""Where the stream goes, apart from the output that pushes it (like OBS's service beside its output).

A ``Destination`` is a name, the ingest URL without the key, a reference to the key in the OS
keyring (``stream-key:NAME``), the protocol (rtmp, rtmps, srt or whip), the canvas it takes its
picture from (landscape or vertical) and the preset it follows. A show has a list of them: the
window builds it from the profile, the headless ``stream`` command from ``--url`` / ``--dest``; both
ask each for its output at Go Live (``open_output``, through the output-kind registry, one module
per protocol). The key itself is read only then, from the keyring (or, for the demo's sandbox and
the command line's ``--key-env`` / prompt, handed in) and never stored in settings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from seller_studio.common.errors import BadUrlError, ExitCode, UserError
from seller_studio.common.secrets import SecretStore, stream_key_name
from seller_studio.i18n import tr_noop
from seller_studio.media.outputs.base import Output
from seller_studio.media.outputs.registry import PROTOCOLS, make_output
from seller_studio.media.outputs.stream import parse_ingest_url

SCHEME_PROTOCOLS = {"rtmp": "rtmp", "rtmps": "rtmps", "srt": "srt", "whip": "whip", "whips": "whip",
                    "http": "whip", "https": "whip"}
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
DEFAULT_NAME = "stream"  # the one unnamed destination of --url and of a profile


def protocol_of(url: str) -> str:
    """rtmp, rtmps, srt or whip (an http(s):// endpoint is WHIP); the scheme itself otherwise."""
    scheme = urlsplit(url).scheme.lower()
    return SCHEME_PROTOCOLS.get(scheme, scheme)


@dataclass(frozen=True)
class Destination:
    label: str  # what the seller reads: "the sandbox platform", a preset's name, the URL
    url: str  # ingest server, without the stream key
    key_ref: str | None = None  # keyring entry of the stream key; None when the key is handed in or not needed
    preset: str = ""
    platform_url: str = ""  # ws(s):// of the live-shopping platform, if any
    key: str = field(default="", repr=False, compare=False)  # a key known without the keyring
    name: str = DEFAULT_NAME  # unique in a show; names its output, its stats and its faults
    canvas: str = "landscape"  # landscape | vertical
    protocol: str = ""  # rtmp | rtmps | srt | whip; "" means: from the URL

    def __post_init__(self) -> None:
        if not self.protocol:
            object.__setattr__(self, "protocol", protocol_of(self.url))

    def stream_key(self, secrets: SecretStore | None = None) -> str:
        if self.key or self.key_ref is None:
            return self.key
        return (secrets or SecretStore()).get(self.key_ref) or ""

    def key_identity(self, secrets: SecretStore | None = None) -> str:
        """A digest of the key (never the key): two destinations with the same URL and key are one
        stream to the platform."""
        return hashlib.sha256(self.stream_key(secrets).encode()).hexdigest()[:16]

    def open_output(self, secrets: SecretStore | None = None, *, is_key_required: bool = True,
                    dynamic_bitrate: bool = True) -> Output:
        """The output that pushes to this destination (not started). UserError with one line when
        the URL or the key is missing; a bad URL or a protocol this build cannot send raises
        BadUrlError naming the destination when it has a name of its own."""
        if not self.url:
            raise UserError(tr_noop("No destination server set: choose one in Settings > Destination."), ExitCode.BAD_URL)
        key = self.stream_key(secrets)
        if is_key_required and not key:
            raise UserError(tr_noop("No stream key: paste your stream key in Settings > Destination."),
                            ExitCode.NO_STREAM_KEY)
        try:
            return make_output(self.protocol, self.url, key, name=self.name, dynamic_bitrate=dynamic_bitrate)
        except BadUrlError as exc:
            if self.name == DEFAULT_NAME:
                raise
            raise BadUrlError(tr_noop("destination '{name}': {error}").format(name=self.name, error=exc)) from None


def destination_for_profile(profile, sandbox=None) -> Destination:  # noqa: ANN001 - settings.Profile, SandboxProcess
    """The profile's destination; the sandbox's ingest (and its key) in demo mode."""
    d = profile.destination
    if d.kind == "sandbox":
        if sandbox is None:
            raise UserError(tr_noop("The sandbox platform is not running: start with `seller-studio --demo`, "
                            "or choose another destination in Settings."))
        # `--demo --demo-ingest whip`: the sandbox's WHIP ingest (whip:// is its http:// endpoint).
        url = (sandbox.whip_url.replace("http://", "whip://", 1) if getattr(sandbox, "protocol", "rtmp") == "whip"
               else sandbox.ingest_url)
        return Destination("the sandbox platform", url, None, platform_url=sandbox.ws_url,
                           key=sandbox.stream_key, preset="platform")
    label = d.preset if d.kind == "preset" else d.url
    return Destination(label, d.ingest_url(), stream_key_name(profile.secret_id),
                       preset=d.preset if d.kind == "preset" else "", platform_url=d.platform_url)


def destination_for_url(url: str, keyring_entry: str | None, key: str = "") -> Destination:
    """The headless command's destination: ``--url``, the keyring entry ``--destination`` names, and
    a key it already read (``--key-env``, the prompt), if any. ``keyring_entry`` None: no key at all
    (``--no-key``), and the keyring is not even opened."""
    if urlsplit(url).scheme.lower() not in ("whip", "whips"):
        parse_ingest_url(url)  # --url takes rtmp://, rtmps://, srt:// (BadUrlError with what is wrong), whip(s)://
    return Destination(url, url, stream_key_name(keyring_entry) if keyring_entry is not None else None, key=key)


@dataclass(frozen=True)
class DestSpec:
    """One ``--dest NAME=URL[,canvas=vertical][,preset=tiktok][,protocol=whip]`` as given."""

    name: str
    url: str
    canvas: str = "landscape"
    preset: str = "custom"
    protocol: str = ""


DEST_OPTIONS = ("canvas", "preset", "protocol")
DEST_USAGE = "NAME=URL[,canvas=vertical][,preset=tiktok]"


def parse_dest(text: str) -> DestSpec:
    """``--dest`` text -> DestSpec, or UserError (exit 2) with one line naming what is wrong."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not rest.strip():
        raise UserError(tr_noop("--dest '{text}': use {usage}").format(text=text, usage=DEST_USAGE), ExitCode.USAGE)
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(tr_noop("--dest '{text}': the name '{name}' must be letters, digits, '-', '_' or '.' "
                                "(up to 40, starting with a letter or digit)").format(text=text, name=name),
                        ExitCode.USAGE)
    url, *options = [part.strip() for part in rest.split(",")]
    values: dict[str, str] = {}
    for option in options:
        key, eq, value = option.partition("=")
        key = key.strip().lower()
        if not eq or key not in DEST_OPTIONS or not value.strip():
            raise UserError(tr_noop("--dest {name}: '{option}' is not one of {options}").format(
                name=name, option=option, options=", ".join(o + "=..." for o in DEST_OPTIONS)), ExitCode.USAGE)
        values[key] = value.strip().lower()
    from seller_studio.studio.presets import CANVASES, preset_for

    canvas = values.get("canvas", "landscape")
    if canvas not in CANVASES:
        raise UserError(tr_noop("--dest {name}: canvas must be landscape or vertical (got '{canvas}')").format(
            name=name, canvas=canvas), ExitCode.USAGE)
    try:
        preset = preset_for(values.get("preset", "custom"))
    except ValueError as exc:
        raise UserError(tr_noop("--dest {name}: {error}").format(name=name, error=exc), ExitCode.USAGE) from None
    protocol = values.get("protocol", "")
    if protocol and protocol not in PROTOCOLS:
        raise UserError(tr_noop("--dest {name}: protocol must be one of {protocols} (got '{protocol}')").format(
            name=name, protocols=", ".join(PROTOCOLS), protocol=protocol), ExitCode.USAGE)
    if not url and preset.server_url:
        url = preset.server_url
    if protocol_of(url) not in PROTOCOLS:
        raise BadUrlError(tr_noop("destination '{name}': bad ingest URL: the scheme must be rtmp://, rtmps://, "
                                  "srt://, whip://, whips:// or http(s):// for WHIP (got '{scheme}')").format(
            name=name, scheme=urlsplit(url).scheme or url))
    return DestSpec(name, url, canvas, preset.id, protocol)


def destinations_from_specs(specs: list[DestSpec], keys: dict[str, str]) -> list[Destination]:
    """The show's destinations; the key of each from ``keys`` (already read) or its keyring entry
    ``stream-key:NAME``. UserError for a name given twice."""
    seen: set[str] = set()
    result = []
    for spec in specs:
        if spec.name in seen:
            raise UserError(tr_noop("--dest {name}: the name is given twice (each destination needs its own "
                                    "name)").format(name=spec.name), ExitCode.USAGE)
        seen.add(spec.name)
        result.append(Destination(spec.name, spec.url, stream_key_name(spec.name), preset=spec.preset,
                                  key=keys.get(spec.name, ""), name=spec.name, canvas=spec.canvas,
                                  protocol=spec.protocol))
    return result
