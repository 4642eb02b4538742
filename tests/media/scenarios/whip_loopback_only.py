"""Run inside a private network namespace (``unshare -n``): loopback is the only interface, as on a
laptop with its network off. The studio goes live over WHIP to the sandbox's WHIP ingest on
127.0.0.1 and prints one JSON line with what the ingest decoded."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seller_studio.media import framecode  # noqa: E402
from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.whip import WhipOutput  # noqa: E402
from seller_studio.media.studio import pattern_studio  # noqa: E402
from seller_studio.platform.sandbox.whip_ingest import WhipIngest  # noqa: E402


def main() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    interfaces = sorted(name for _, name in socket.if_nameindex())  # this namespace's, unlike /sys
    codes: list[int] = []

    def on_video(frame) -> None:
        code = framecode.read(frame.to_ndarray(format="gray"))
        if code is not None:
            codes.append(code.frame_number)

    ingest = WhipIngest(lambda name, payload: None, stream_key="k", on_video_frame=on_video).start()
    studio = pattern_studio(320, 180, 30)
    output = WhipOutput(ingest.url.replace("http://", "whip://"), "k")
    output.media_timeout_s = 5.0
    error = None
    try:
        studio.go_live([output], VideoSettings(320, 180, 30, 300), AudioSettings(), wait_outputs_s=10)
        time.sleep(2.0)
    except Exception as exc:  # noqa: BLE001  (reported in the JSON line)
        error = str(exc)
    finally:
        studio.stop()
        ingest.stop()
    print(json.dumps({"interfaces": interfaces, "error": error, "codes": len(codes),
                      "increasing": all(b > a for a, b in zip(codes, codes[1:], strict=False)),
                      "audio_frames": ingest.audio_frames}))


if __name__ == "__main__":
    main()
