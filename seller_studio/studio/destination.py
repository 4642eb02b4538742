"""Where the stream goes, apart from the output that pushes it (like OBS's service beside its output).

A ``Destination`` is the ingest URL without the key, a reference to the key in the OS keyring, the
protocol and the preset it came from. The window builds one from the profile, the headless
``stream`` command from its arguments; both ask it for the connect info at Go Live and get a
``StreamOutput`` from it. The key itself is read only then, from the keyring (or, for the demo's
sandbox and the command line's ``--key-env`` / prompt, handed in) and never stored in settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.common.secrets import SecretStore, stream_key_name
from seller_studio.i18n import tr_noop
from seller_studio.media.outputs.base import Output
from seller_studio.media.outputs.stream import StreamOutput


@dataclass(frozen=True)
class Destination:
    label: str  # what the seller reads: "the sandbox platform", a preset's name, the URL
    url: str  # ingest server, without the stream key
    key_ref: str | None = None  # keyring entry of the stream key; None when the key is handed in or not needed
    preset: str = ""
    platform_url: str = ""  # ws(s):// of the live-shopping platform, if any
    key: str = field(default="", repr=False, compare=False)  # a key known without the keyring

    @property
    def protocol(self) -> str:
        """rtmp, rtmps, srt, or whip (a whip:// or whips:// URL) — from the URL."""
        scheme = urlsplit(self.url).scheme.lower()
        return "whip" if scheme in ("whip", "whips") else scheme

    def stream_key(self, secrets: SecretStore | None = None) -> str:
        if self.key or self.key_ref is None:
            return self.key
        return (secrets or SecretStore()).get(self.key_ref) or ""

    def open_output(self, secrets: SecretStore | None = None, *, is_key_required: bool = True,
                    dynamic_bitrate: bool = True) -> StreamOutput | Output:
        """The output that pushes to this destination (not started). UserError with one line when
        the URL or the key is missing; a bad URL raises from ``StreamOutput`` itself."""
        if not self.url:
            raise UserError(tr_noop("No destination server set: choose one in Settings > Destination."), ExitCode.BAD_URL)
        key = self.stream_key(secrets)
        if is_key_required and not key:
            raise UserError(tr_noop("No stream key: paste your stream key in Settings > Destination."),
                            ExitCode.NO_STREAM_KEY)
        if self.protocol == "whip":
            from seller_studio.media.outputs.whip import WhipOutput, unavailable_reason

            reason = unavailable_reason()
            if reason is not None:
                raise UserError(reason, ExitCode.BAD_URL)
            return WhipOutput(self.url, key, name="stream")
        return StreamOutput(self.url, key, dynamic_bitrate=dynamic_bitrate)


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
        return Destination("the sandbox platform", url, None, platform_url=sandbox.ws_url, key=sandbox.stream_key)
    label = d.preset if d.kind == "preset" else d.url
    return Destination(label, d.ingest_url(), stream_key_name(profile.secret_id),
                       preset=d.preset if d.kind == "preset" else "", platform_url=d.platform_url)


def destination_for_url(url: str, keyring_entry: str, key: str = "") -> Destination:
    """The headless command's destination: ``--url``, the keyring entry ``--destination`` names, and
    a key it already read (``--key-env``, the prompt), if any."""
    return Destination(url, url, stream_key_name(keyring_entry), key=key)
