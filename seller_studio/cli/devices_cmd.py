"""`seller-studio devices`: cameras, microphones, and the encoders that really work here."""

from __future__ import annotations

import argparse
import json

from seller_studio.common.errors import UserError
from seller_studio.media.audio.microphone import list_microphones
from seller_studio.media.encoders.h264 import available_h264_encoders
from seller_studio.media.outputs.stream import output_protocols
from seller_studio.media.sources.camera import list_cameras


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list cameras, microphones and working encoders")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def collect() -> dict:
    try:
        mics: list | str = list_microphones()
    except UserError as err:
        mics = str(err)
    return {"cameras": list_cameras(with_modes=True), "microphones": mics, "video_encoders": available_h264_encoders(),
            "outputs": output_protocols()}


def mode_lines(cam: dict) -> list[str]:
    """A camera's modes grouped by size, largest first: ``1920x1080: MJPG 30 fps, YUYV 5 fps``."""
    if not cam.get("modes"):
        return [f"modes: {cam['modes_note']}"] if cam.get("modes_note") else []
    by_size: dict[tuple[int, int], list[str]] = {}
    for m in cam["modes"]:
        rate = f"{m['fps']:g} fps" if m["fps"] else "fps unknown"
        by_size.setdefault((m["width"], m["height"]), []).append(f"{m['pixel_format']} {rate}")
    return [f"{w}x{h}: {', '.join(formats)}" for (w, h), formats in sorted(by_size.items(), key=lambda kv: -kv[0][0] * kv[0][1])]


def run(args: argparse.Namespace) -> int:
    found = collect()
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    print("Cameras:")
    if not found["cameras"]:
        print("  none found")
    for cam in found["cameras"]:
        print(f"  {cam['index']}: {cam['name']} {cam['path']}".rstrip())
        for line in mode_lines(cam):
            print(f"      {line}")
    print("Microphones:")
    if isinstance(found["microphones"], str):
        print(f"  unavailable: {found['microphones']}")
    else:
        if not found["microphones"]:
            print("  none found")
        for mic in found["microphones"]:
            print(f"  {mic['index']}: {mic['name']} ({mic['channels']} ch)")
    print("Video encoders:")
    for kind, status in found["video_encoders"].items():
        print(f"  {kind}: {status}")
    print("Audio encoder: aac (48 kHz stereo)")
    print("Stream outputs:")
    for scheme, status in found["outputs"].items():
        print(f"  {scheme}://: {status}")
    return 0
