"""Audio: ring buffer never drops, mixer gain/mute/levels, tone beeps, audio files resampled."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from seller_studio.common.errors import BadMediaFileError
from seller_studio.media.audio.file_source import AudioFileSource
from seller_studio.media.audio.mixer import SILENCE_DB, AudioMixer
from seller_studio.media.audio.ring_buffer import AudioRingBuffer
from seller_studio.media.audio.synthetic import SilenceSource, ToneSource, beep_onsets_s


def test_ring_buffer_grows_instead_of_dropping_and_pads_underruns():
    ring = AudioRingBuffer(capacity_samples=100)
    data = np.arange(1000, dtype=np.float32).reshape(-1, 2)  # 500 samples, 5x the capacity
    for i in range(0, 500, 50):
        ring.write(data[i : i + 50])
    out = ring.read(500)
    assert np.array_equal(out, data)  # nothing lost, order kept
    assert ring.grew >= 1
    short = ring.read(10)
    assert short.shape == (10, 2) and not short.any() and ring.underrun_samples == 10


def test_ring_buffer_wraps_around():
    ring = AudioRingBuffer(capacity_samples=8)
    for k in range(20):
        block = np.full((3, 2), k, np.float32)
        ring.write(block)
        assert np.array_equal(ring.read(3), block)


def test_mixer_applies_gain_and_mute_and_reports_levels():
    mixer = AudioMixer()
    mixer.add(ToneSource("tone"))
    mixer.add(SilenceSource("quiet"))
    loud = mixer.mix(4800)
    assert -6 < mixer.channels["tone"].peak_db < -3  # the 0.6 beep at t=0
    assert mixer.channels["quiet"].peak_db == SILENCE_DB
    mixer.set_gain_db("tone", -20)
    quieter = mixer.mix(4800)
    assert np.max(np.abs(quieter)) < np.max(np.abs(loud))
    mixer.set_muted("tone", True)
    assert not mixer.mix(480).any()
    assert mixer.levels()["tone"]["peak_db"] > SILENCE_DB  # meters still move while muted


def test_tone_beeps_at_each_whole_second():
    tone = ToneSource("t")
    samples = tone.read(48000 * 3)
    onsets = beep_onsets_s(samples)
    assert [round(t, 3) for t in onsets] == [0.0, 1.0, 2.0]
    tone.align_to_timeline(5.5)  # canvas time 5.5 s: the next beep is 0.5 s away
    assert [round(t, 3) for t in beep_onsets_s(tone.read(48000))] == [0.5]


def test_audio_file_is_resampled_to_48k_stereo_and_loops(tmp_path):
    path = tmp_path / "mono44k.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100:duration=0.5",
                    "-ac", "1", str(path)], check=True)
    src = AudioFileSource("file", path)
    out = src.read(48000)  # 1 s from a 0.5 s file: it loops
    assert out.shape == (48000, 2)
    assert np.allclose(out[:, 0], out[:, 1])
    spectrum = np.abs(np.fft.rfft(out[:24000, 0]))
    assert abs(np.argmax(spectrum) * 48000 / 24000 - 1000) < 5  # still a 1 kHz tone at 48 kHz
    assert np.abs(out[30000:40000]).max() > 0.1 * np.abs(out[:10000]).max() * 5  # the second pass is there too


def test_bad_audio_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(BadMediaFileError, match="cannot play audio file"):
        AudioFileSource("bad", bad)
