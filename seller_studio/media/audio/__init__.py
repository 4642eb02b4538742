"""Audio sources (mic, tone, silence, file), the ring buffer between threads, and the mixer.

Everything here is 48 kHz stereo float32, shaped (samples, 2). Audio is never dropped.
"""

SAMPLE_RATE = 48000
CHANNELS = 2
