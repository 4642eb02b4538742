"""Linux camera listing through the V4L2 ioctls (no extra package, no camera stream opened).

QUERYCAP tells a capture node from the metadata node a UVC camera also creates (both carry the
camera's name, so a plain /sys listing shows every webcam twice); ENUM_FMT / ENUM_FRAMESIZES /
ENUM_FRAMEINTERVALS give the modes. Opening a node only to query it works while another program
streams from it, so listing never disturbs a camera in use. When the ioctls fail, ``v4l2-ctl
--list-formats-ext`` is parsed instead (if installed).

This module has not run against a real camera on the build machine (it has none); the parser of
``v4l2-ctl`` output is tested with real cameras' published listings.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import struct
import subprocess
from pathlib import Path

from seller_studio.media.sources.camera_modes import COMMON_SIZES, CameraInfo, CameraMode, parse_v4l2_ctl

log = logging.getLogger(__name__)

_BUF_TYPE_VIDEO_CAPTURE = 1
_CAP_VIDEO_CAPTURE = 0x00000001
_CAP_DEVICE_CAPS = 0x80000000
_TYPE_DISCRETE, _TYPE_CONTINUOUS, _TYPE_STEPWISE = 1, 2, 3


def _iowr(nr: int, size: int, read_only: bool = False) -> int:
    direction = 2 if read_only else 3  # _IOR / _IOWR
    return (direction << 30) | (size << 16) | (ord("V") << 8) | nr


_CAPABILITY = struct.Struct("16s32s32sIII12x")  # struct v4l2_capability (104 bytes)
_FMTDESC = struct.Struct("III32sII12x")  # struct v4l2_fmtdesc (64 bytes)
_FRMSIZE = struct.Struct("III6I8x")  # struct v4l2_frmsizeenum (44 bytes)
_FRMIVAL = struct.Struct("IIIII6I8x")  # struct v4l2_frmivalenum (52 bytes)
VIDIOC_QUERYCAP = _iowr(0, _CAPABILITY.size, read_only=True)
VIDIOC_ENUM_FMT = _iowr(2, _FMTDESC.size)
VIDIOC_ENUM_FRAMESIZES = _iowr(74, _FRMSIZE.size)
VIDIOC_ENUM_FRAMEINTERVALS = _iowr(75, _FRMIVAL.size)


def _ioctl(fd: int, request: int, packed: bytes) -> bytes | None:
    buf = bytearray(packed)
    try:
        fcntl.ioctl(fd, request, buf, True)
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOTTY):
            return None  # the end of an enumeration
        raise
    return bytes(buf)


def _fourcc(code: int) -> str:
    return "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")


def query_node(path: str) -> tuple[str, bool]:
    """(card name, is a video capture node) from VIDIOC_QUERYCAP."""
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        raw = _ioctl(fd, VIDIOC_QUERYCAP, _CAPABILITY.pack(b"", b"", b"", 0, 0, 0))
    finally:
        os.close(fd)
    if raw is None:
        return "", False
    _driver, card, _bus, _version, caps, device_caps = _CAPABILITY.unpack(raw)
    effective = device_caps if caps & _CAP_DEVICE_CAPS else caps
    return card.split(b"\0", 1)[0].decode(errors="replace"), bool(effective & _CAP_VIDEO_CAPTURE)


def enumerate_modes(path: str) -> list[CameraMode]:
    """Every (format, size) of a capture node at its highest frame rate."""
    modes: list[CameraMode] = []
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        for fmt_index in range(64):
            raw = _ioctl(fd, VIDIOC_ENUM_FMT, _FMTDESC.pack(fmt_index, _BUF_TYPE_VIDEO_CAPTURE, 0, b"", 0, 0))
            if raw is None:
                break
            pixfmt = _FMTDESC.unpack(raw)[4]
            for width, height in _frame_sizes(fd, pixfmt):
                modes.append(CameraMode(width, height, _max_fps(fd, pixfmt, width, height), _fourcc(pixfmt)))
    finally:
        os.close(fd)
    return modes


def _frame_sizes(fd: int, pixfmt: int) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    for index in range(256):
        raw = _ioctl(fd, VIDIOC_ENUM_FRAMESIZES, _FRMSIZE.pack(index, pixfmt, 0, 0, 0, 0, 0, 0, 0))
        if raw is None:
            break
        _, _, kind, a, b, c, d, e, _f = _FRMSIZE.unpack(raw)
        if kind == _TYPE_DISCRETE:
            sizes.append((a, b))
            continue
        min_w, max_w, min_h, max_h = a, b, d, e  # stepwise: min_w, max_w, step_w, min_h, max_h, step_h
        sizes.extend((w, h) for w, h in COMMON_SIZES if min_w <= w <= max_w and min_h <= h <= max_h)
        break
    return sizes


def _max_fps(fd: int, pixfmt: int, width: int, height: int) -> float:
    best = 0.0
    for index in range(64):
        raw = _ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, _FRMIVAL.pack(index, pixfmt, width, height, 0, 0, 0, 0, 0, 0, 0))
        if raw is None:
            break
        _, _, _, _, kind, num, den, *_ = _FRMIVAL.unpack(raw)
        if num:
            best = max(best, round(den / num, 3))  # stepwise: the first fraction is the minimum interval
        if kind != _TYPE_DISCRETE:
            break
    return best


def _modes_from_v4l2_ctl(path: str) -> list[CameraMode]:
    tool = shutil.which("v4l2-ctl")
    if tool is None:
        return []
    try:
        out = subprocess.run([tool, "-d", path, "--list-formats-ext"], capture_output=True, text=True,
                             timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_v4l2_ctl(out)


def list_v4l2_cameras(root: Path = Path("/sys/class/video4linux"), with_modes: bool = True) -> list[CameraInfo]:
    """Capture nodes with their names and (optionally) modes; metadata nodes are left out."""
    found: list[CameraInfo] = []
    for node in sorted(root.glob("video*"), key=lambda p: int(p.name.removeprefix("video") or 0)):
        index = int(node.name.removeprefix("video"))
        dev = f"/dev/{node.name}"
        name = (node / "name").read_text().strip() if (node / "name").exists() else node.name
        note = ""
        try:
            card, is_capture = query_node(dev)
            if not is_capture:
                continue
            name = card or name
        except OSError as exc:
            # No permission or the node vanished: keep the camera listed, say why modes are missing.
            note = f"cannot query {dev}: {exc.strerror or exc}"
            if (node / "index").exists() and (node / "index").read_text().strip() not in ("", "0"):
                continue  # a second node of the same device (UVC metadata)
        modes: list[CameraMode] = []
        if with_modes and not note:
            try:
                modes = enumerate_modes(dev)
            except OSError as exc:
                note = f"cannot list modes of {dev}: {exc.strerror or exc}"
            if not modes:
                modes = _modes_from_v4l2_ctl(dev)
        found.append(CameraInfo(index, name, dev, "v4l2", modes, note))
    return found
