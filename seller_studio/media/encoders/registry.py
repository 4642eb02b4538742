"""Opens the encoders for a session inside one template container (see base.py)."""

from __future__ import annotations

from dataclasses import dataclass

import av

from seller_studio.media.encoders.aac import AacEncoder
from seller_studio.media.encoders.base import AudioSettings, VideoSettings, template_container
from seller_studio.media.encoders.h264 import H264Encoder, open_h264


@dataclass
class EncoderSet:
    container: av.container.OutputContainer
    video: H264Encoder
    audio: AacEncoder | None

    def templates(self) -> list:
        """The streams outputs copy their parameters from, video first."""
        return [self.video.stream] + ([self.audio.stream] if self.audio else [])

    def close(self) -> None:
        try:
            self.container.close()
        except Exception:  # the template container holds nothing worth keeping
            pass


def open_encoders(video: VideoSettings, audio: AudioSettings | None) -> EncoderSet:
    container = template_container()
    video_encoder = open_h264(container, video)
    audio_encoder = None
    if audio is not None:
        audio_encoder = AacEncoder(container, audio)
        audio_encoder.open()
    # Writing the (discarded) header copies each opened context into its stream's parameters,
    # which is what add_stream_from_template reads.
    container.start_encoding()
    return EncoderSet(container, video_encoder, audio_encoder)
