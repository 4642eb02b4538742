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


# A spec ending like an audio (or video) file names a file even when it is missing; mic names do not.
AUDIO_FILE_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".mka", ".mp4", ".mkv", ".mov",
                       ".webm"}


def audio_from_spec(source_id: str, spec: str) -> AudioSource | None:
    """None for ``none``: the stream then has no audio track at all."""
    if spec == "none":
        return None
    if spec == "tone":
        return ToneSource(source_id)
    if spec == "silence":
        return SilenceSource(source_id)
    if Path(spec).is_file() or Path(spec).suffix.lower() in AUDIO_FILE_SUFFIXES:
        return AudioFileSource(source_id, spec)  # a missing one is "a media file cannot be read" (18)
    return MicrophoneSource(source_id, spec)
