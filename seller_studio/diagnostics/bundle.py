"""`seller-studio support-bundle`: one zip with everything support needs and no secret in it.

Contents: ``logs/`` (session logs, crash reports, journals), ``settings/`` (every settings file,
secret fields masked), ``doctor.json``, ``system.json``, ``reproduction.json`` (per live journal: the
profile as it went live, the go-live settings, the stats timeline; and the device list — what
``seller-studio reproduce`` reads) and ``manifest.json``. Every text passes the
redactor, which knows the secrets of this machine (keyring entries of every profile, secret-named
settings fields, secret-named environment variables) on top of its shape rules. Before the zip is
moved into place, every byte of it and of every file in it is searched for those secrets; a hit
deletes the zip and fails instead of handing out a leak.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from seller_studio import __version__
from seller_studio.common import paths
from seller_studio.common.errors import ExitCode, UnwritablePathError, UserError
from seller_studio.diagnostics.redact import REDACTOR, Redactor, is_secret_name, secret_values_in
from seller_studio.diagnostics.reproduce import journals_in_texts, reproduction_manifest
from seller_studio.i18n import tr_noop

MAX_FILE_BYTES = 20_000_000  # bigger logs keep their last 20 MB: the end is where the problem is
DESTINATIONS = ("custom", "sandbox")


@dataclass
class BundleResult:
    path: Path
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    secrets_checked: int = 0


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def known_secrets() -> set[str]:
    """Every secret this machine's settings point at: keyring entries, secret fields, env vars."""
    found: set[str] = set(REDACTOR.known())
    root = paths.config_dir()
    secret_ids: set[str] = set(DESTINATIONS)
    for settings_file in sorted(root.rglob("*.json")) if root.is_dir() else []:
        data = _read_json(settings_file)
        found.update(v for v in secret_values_in(data) if v)
        if isinstance(data, dict) and isinstance(data.get("destination"), dict):
            # The same keyring names as studio/settings.Profile.secret_id: "<profile>:<preset or kind>".
            dest = data["destination"]
            where = dest.get("preset") if dest.get("kind") == "preset" else dest.get("kind")
            secret_ids.add(f"{data.get('name', settings_file.stem)}:{where}")
    try:
        from seller_studio.common.secrets import SecretStore, platform_token_name, stream_key_name

        store = SecretStore()
        for secret_id in secret_ids:
            for name in (stream_key_name(secret_id), platform_token_name(secret_id)):
                value = store.get(name)
                if value:
                    found.add(value)
    except Exception:  # no keyring: nothing stored there to leak
        pass
    for name, value in os.environ.items():
        if is_secret_name(name) and value:
            found.add(value)
    return {s for s in found if len(s) >= 4}


def _system_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "version": __version__, "python": sys.version, "platform": platform.platform(),
        "machine": platform.machine(), "cpu_count": os.cpu_count(), "created": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    try:
        import av

        info["ffmpeg"] = {k: ".".join(map(str, v)) if isinstance(v, tuple) else str(v)
                          for k, v in av.library_versions.items()}
        info["pyav"] = av.__version__
    except Exception as exc:
        info["ffmpeg"] = f"unavailable: {exc}"
    for module in ("numpy", "cv2", "websockets", "keyring", "sounddevice", "PySide6"):
        try:
            info.setdefault("packages", {})[module] = getattr(__import__(module), "__version__", "?")
        except Exception as exc:
            info.setdefault("packages", {})[module] = f"unavailable: {type(exc).__name__}"
    if sys.platform.startswith("linux"):
        try:
            mem = Path("/proc/meminfo").read_text().splitlines()[:2]
            info["memory"] = [line.split(":")[1].strip() for line in mem]
        except OSError:
            pass
    return info


def _devices() -> dict[str, Any]:
    """Cameras with their modes and microphones, as `devices --json` lists them (the seller's kit)."""
    devices: dict[str, Any] = {}
    try:
        from seller_studio.media.sources.camera import list_cameras

        devices["cameras"] = list_cameras()
    except Exception as exc:
        devices["cameras"] = f"unavailable: {type(exc).__name__}"
    try:
        from seller_studio.media.audio.microphone import list_microphones

        devices["microphones"] = list_microphones()
    except Exception as exc:
        devices["microphones"] = f"unavailable: {type(exc).__name__}"
    return devices


def _tail(path: Path) -> bytes:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size > MAX_FILE_BYTES:
            f.seek(size - MAX_FILE_BYTES)
        return f.read()


def build_bundle(out: Path, extra_files: list[Path] | None = None, doctor: bool = True,
                 doctor_url: str | None = None) -> BundleResult:
    secrets = known_secrets()
    redactor = Redactor()
    redactor.add(*secrets)

    def clean(text: str) -> str:
        return REDACTOR.redact(redactor.redact(text))

    entries: dict[str, bytes] = {}
    log_dir = paths.log_dir()
    for path in sorted(log_dir.iterdir()) if log_dir.is_dir() else []:
        if path.is_file() and path.stat().st_size > 0:
            entries[f"logs/{path.name}"] = clean(_tail(path).decode("utf-8", "replace")).encode()
    for path in extra_files or []:
        if not path.is_file():
            raise UserError(tr_noop('cannot add {path}: no such file').format(path=path), ExitCode.BAD_INPUT_FILE)
        entries[f"extra/{path.name}"] = clean(_tail(path).decode("utf-8", "replace")).encode()
    config = paths.config_dir()
    for path in sorted(config.rglob("*")) if config.is_dir() else []:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        rel = path.relative_to(config).as_posix()
        data = _read_json(path)
        if data is not None:
            text = json.dumps(REDACTOR.redact_obj(redactor.redact_obj(data)), indent=2, ensure_ascii=False)
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        entries[f"settings/{rel}"] = clean(text).encode()
    if doctor:
        from seller_studio.diagnostics.doctor import report_json, run_doctor

        # The bundle does not probe the uplink: support asks for `doctor` when they need it.
        report = report_json(run_doctor(doctor_url, with_ingest=doctor_url is not None, probe_s=0.5))
        entries["doctor.json"] = clean(json.dumps(report, indent=2, default=str)).encode()
    entries["system.json"] = clean(json.dumps(_system_info(), indent=2, default=str)).encode()
    # What `seller-studio reproduce` needs, read from the redacted journals: each live session's
    # profile (scenes, sources with kinds and delivered modes, encoder), settings and stats timeline,
    # and the devices this machine has now.
    journals = journals_in_texts({name: data.decode("utf-8", "replace") for name, data in entries.items()
                                  if name.endswith(".jsonl")})
    manifest_r = reproduction_manifest(journals, _devices(), __version__)
    entries["reproduction.json"] = clean(json.dumps(REDACTOR.redact_obj(redactor.redact_obj(manifest_r)),
                                                    indent=2, default=str)).encode()
    manifest = {"version": __version__, "created": time.time(),
                "files": {name: len(data) for name, data in entries.items()}}
    entries["manifest.json"] = json.dumps(manifest, indent=2).encode()

    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".bundle-", suffix=".zip", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise UnwritablePathError(tr_noop('cannot write the bundle to {out}: {value}').format(out=out, value=exc.strerror or exc)) from None
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
        leaks = find_secrets_in_zip(tmp, secrets)
        if leaks:
            # Never hand out a bundle with a secret in it; say where, not what.
            raise UserError(tr_noop('the bundle would contain a secret (in {value}); not written').format(value=', '.join(sorted(leaks))),
                            ExitCode.FAILURE)
        os.replace(tmp, out)
    except OSError as exc:
        raise UnwritablePathError(tr_noop('cannot write the bundle to {out}: {value}').format(out=out, value=exc.strerror or exc)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return BundleResult(out, list(entries), out.stat().st_size, len(secrets))


def _forms(secret: str) -> set[bytes]:
    return {f.encode() for f in (secret, quote(secret, safe=""), quote_plus(secret))}


def find_secrets_in_zip(path: Path, secrets: set[str]) -> set[str]:
    """Names of the zip members (or "<zip>" for the archive itself) that contain any of ``secrets``."""
    needles = set().union(*(_forms(s) for s in secrets)) if secrets else set()
    hits: set[str] = set()
    raw = path.read_bytes()
    if any(n in raw for n in needles):
        hits.add("<zip>")
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            if any(n in data or n in info.filename.encode() for n in needles):
                hits.add(info.filename)
    return hits
