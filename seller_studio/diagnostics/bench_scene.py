"""The end-to-end bench's "demo scene" process: two cameras played from a file (main and
picture-in-picture), a title and a product card from PNGs, streamed to an ingest with a sound file.

Run as a script (``python bench_scene.py CLIP URL WxH FPS KBPS SECONDS TITLE.png X,Y CARD.png X,Y
SOUND.wav``)
so the bench can time it as a whole process, and only through APIs every version of the studio has,
so ``bench --baseline-tree`` can time an older checkout with the very same scene.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    clip, url, size, fps_text, kbps_text, seconds_text, title, title_xy, card, card_xy, sound = argv
    from seller_studio.media.audio.file_source import AudioFileSource
    from seller_studio.media.compositor import Layer, Rect, Scene
    from seller_studio.media.encoders.base import AudioSettings, VideoSettings
    from seller_studio.media.outputs.stream import StreamOutput
    from seller_studio.media.sources.image import ImageSource
    from seller_studio.media.sources.video_file import VideoFileSource
    from seller_studio.media.studio import Studio

    width, height = (int(v) for v in size.split("x"))
    fps, kbps, seconds = int(fps_text), int(kbps_text), float(seconds_text)
    studio = Studio(width, height, fps)
    studio.add_source(VideoFileSource("camera", clip))
    studio.add_source(VideoFileSource("camera2", clip))
    title_source = studio.add_source(ImageSource("title", title))
    card_source = studio.add_source(ImageSource("card", card))
    inset_w, inset_h = width // 4, height // 4
    margin = max(8, width // 64)
    layers = [Layer("camera", None, z=0),
              Layer("camera2", Rect(width - inset_w - margin, height - inset_h - margin, inset_w, inset_h), z=1)]
    for z, (source, xy) in enumerate(((title_source, title_xy), (card_source, card_xy)), start=2):
        x, y = (int(v) for v in xy.split(","))
        w, h = source.describe()["width"], source.describe()["height"]
        layers.append(Layer(source.id, Rect(x, y, w, h), z=z))
    studio.add_scene(Scene("demo", layers))
    studio.add_audio(AudioFileSource("mic", sound))
    studio.start()
    try:
        session = studio.go_live([StreamOutput(url, "", dynamic_bitrate=False)],
                                 VideoSettings(width, height, fps, kbps), AudioSettings(), duration_s=seconds)
        session.wait(seconds + 30)
    finally:
        studio.stop()
    # The same lines as `seller-studio stream`: the bench reads frames, drops and the first frame.
    print(f"done: {session.frames_encoded} frames, dropped render {session.compositor.frames_skipped_render_lag} "
          f"/ encode {session.frames_dropped_encode_lag}", file=sys.stderr)
    first_sent_s = getattr(session, "first_video_sent_at_s", None)
    if first_sent_s is not None:
        import time

        from seller_studio.media.stats import process_age_s

        age_s = process_age_s()
        if age_s is not None:
            print(f"first frame pushed {age_s - (time.monotonic() - first_sent_s):.2f} s after the process started",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
