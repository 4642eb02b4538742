"""Mic capture through a real PortAudio device: a PulseAudio null sink, its monitor as the input."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from seller_studio.media.audio.microphone import MicrophoneSource, list_microphones
from tests.helpers import SELLER_STUDIO, decode_media

pytestmark = pytest.mark.audio


def play_tone(pulse, tmp_path, seconds: float = 8.0) -> subprocess.Popen:
    wav = tmp_path / "tone880.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=880:sample_rate=48000:duration={seconds}",
                    "-ac", "2", "-af", "volume=4", str(wav)], check=True)
    return subprocess.Popen(["paplay", "--device=virt", str(wav)], env=pulse.env)


def test_pulse_devices_are_listed(pulse):
    names = [m["name"] for m in list_microphones()]
    assert "pulse" in names


def test_microphone_source_hears_what_plays_into_the_sink(pulse, tmp_path):
    player = play_tone(pulse, tmp_path, 4)
    mic = MicrophoneSource("mic", "pulse")
    mic.start()
    try:
        import time

        blocks = []
        for _ in range(90):  # pull 3 s the way the pipeline does, one frame's worth at a time
            time.sleep(1 / 30)
            blocks.append(mic.read(1600))
        samples = np.concatenate(blocks)[-48000:]
    finally:
        mic.stop()
        player.kill()
    assert samples.shape == (48000, 2)
    spectrum = np.abs(np.fft.rfft(samples[:, 0]))
    assert abs(np.argmax(spectrum) - 880) <= 3  # 1 s window: bin = Hz
    assert np.abs(samples).max() > 0.05


def test_stream_records_the_microphone(pulse, tmp_path):
    player = play_tone(pulse, tmp_path, 8)
    out = tmp_path / "mic.mkv"
    try:
        proc = subprocess.run(SELLER_STUDIO + ["stream", "--record", str(out), "--mic", "pulse", "--size", "320x180",
                                               "--duration", "3"], capture_output=True, text=True, timeout=60,
                              env=pulse.env)
    finally:
        player.kill()
    assert proc.returncode == 0, proc.stderr
    media = decode_media(out)
    audio = media.audio[media.sample_rate : 2 * media.sample_rate]  # second 1..2: past device start-up
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) - 880) <= 3
