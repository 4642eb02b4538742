"""A machine-readable frame code burned into the test pattern.

One row of black/white blocks across the top of the picture carries 72 bits:
24 bits frame number, 40 bits wall-clock milliseconds (mod 2**40, about 34 years) and an 8-bit
checksum. Blocks are big (width/80 px) so the code survives H.264 at streaming bitrates. A
receiver decodes it to count missing frames and measure capture-to-ingest latency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_BITS = 24
TIME_BITS = 40
CHECK_BITS = 8
TOTAL_BITS = FRAME_BITS + TIME_BITS + CHECK_BITS
# Two guard blocks (white, black) at the start tell a receiver where the code begins.
GUARD = (1, 0)
SLOTS = TOTAL_BITS + len(GUARD)


@dataclass(frozen=True)
class FrameCode:
    frame_number: int
    wall_time_ms: int  # capture time, wall clock (time.time() * 1000) mod 2**40


def _checksum(frame_number: int, wall_time_ms: int) -> int:
    value = (frame_number << TIME_BITS) | wall_time_ms
    total = 0
    while value:
        total = (total + (value & 0xFF) * 31 + 7) & 0xFF
        value >>= 8
    return total


def block_size(width: int) -> int:
    return max(4, width // (SLOTS + 6))


def code_height(width: int) -> int:
    return block_size(width)


def encode_bits(code: FrameCode) -> list[int]:
    frame = code.frame_number & ((1 << FRAME_BITS) - 1)
    ms = code.wall_time_ms & ((1 << TIME_BITS) - 1)
    value = (frame << (TIME_BITS + CHECK_BITS)) | (ms << CHECK_BITS) | _checksum(frame, ms)
    return list(GUARD) + [(value >> (TOTAL_BITS - 1 - i)) & 1 for i in range(TOTAL_BITS)]


def burn(image: np.ndarray, code: FrameCode) -> None:
    """Draw the code in place at the top-left of an RGB(A) image."""
    width = image.shape[1]
    block = block_size(width)
    if SLOTS * block > width:
        return  # too narrow to carry a readable code (thumbnails)
    bits = encode_bits(code)
    row = np.repeat(np.array(bits, dtype=np.uint8) * 255, block)
    row = np.pad(row, (0, width - len(row)), constant_values=0)
    image[:block, :, :3] = row[None, :, None]


def read(luma_or_rgb: np.ndarray) -> FrameCode | None:
    """Decode a code from a frame (RGB or a 2-D luma plane). None if no valid code is there."""
    plane = luma_or_rgb if luma_or_rgb.ndim == 2 else luma_or_rgb[:, :, 1]
    width = plane.shape[1]
    block = block_size(width)
    y = block // 2
    centres = (np.arange(SLOTS) * block + block // 2).astype(int)
    if centres[-1] >= width:
        return None
    # Average a small patch at each block centre to shrug off compression noise.
    half = max(1, block // 4)
    samples = [float(plane[y - half : y + half + 1, c - half : c + half + 1].mean()) for c in centres]
    bits = [1 if s > 127 else 0 for s in samples]
    if tuple(bits[: len(GUARD)]) != GUARD:
        return None
    value = 0
    for bit in bits[len(GUARD) :]:
        value = (value << 1) | bit
    check = value & 0xFF
    ms = (value >> CHECK_BITS) & ((1 << TIME_BITS) - 1)
    frame = value >> (TIME_BITS + CHECK_BITS)
    if _checksum(frame, ms) != check:
        return None
    return FrameCode(frame, ms)


def wall_ms_now() -> int:
    import time

    return int(time.time() * 1000) & ((1 << TIME_BITS) - 1)


def latency_ms(code: FrameCode, received_wall_ms: int) -> int:
    """Milliseconds between the code's capture time and ``received_wall_ms`` (both mod 2**40)."""
    return (received_wall_ms - code.wall_time_ms) % (1 << TIME_BITS)
