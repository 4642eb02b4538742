"""Audio source kinds, and the ``--mic`` SPEC: tone, silence, none, a device index or name, or a file."""

from __future__ import annotations

from pathlib import Path

from seller_studio.media.audio.base import AudioSource
from seller_studio.media.audio.file_source import AudioFileSource
from seller_studio.media.audio.microphone import MicrophoneSource
from seller_studio.media.audio.synthetic import SilenceSource, ToneSource

AUDIO_KINDS: dict[str, type[AudioSource]] = {
    cls.kind: cls for cls in (ToneSource, SilenceSource, MicrophoneSource, AudioFileSource)
}


def audio_from_spec(source_id: str, spec: str) -> AudioSource | None:
    """None for ``none``: the stream then has no audio track at all."""
    if spec == "none":
        return None
    if spec == "tone":
        return ToneSource(source_id)
    if spec == "silence":
        return SilenceSource(source_id)
    if Path(spec).is_file():
        return AudioFileSource(source_id, spec)
    return MicrophoneSource(source_id, spec)
