"""Errors a person can act on. Each carries a one-line message and a distinct exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # unexpected: a bug; the log has the traceback
    USAGE = 2  # argparse's own code for bad arguments
    UNREACHABLE_HOST = 10
    REJECTED_KEY = 11
    BAD_URL = 12
    MISSING_CAMERA = 13
    UNSUPPORTED_SIZE = 14
    MISSING_AUDIO_LIBRARY = 15
    MISSING_MIC = 16
    UNWRITABLE_PATH = 17
    BAD_MEDIA_FILE = 18
    NO_STREAM_KEY = 19
    ENCODER_FAILED = 20
    SOME_ROWS_REJECTED = 21
    BAD_INPUT_FILE = 22
    BAD_SIMULATE_SPEC = 23
    DOCTOR_FOUND_FAILURES = 24
    DRAW_MISMATCH = 25  # `break verify`: the seed or buyers do not match what was posted
    BAD_BREAK_INPUT = 26  # a break or draw that cannot be made (more buyers than spots, ...)
    DAMAGED_BUNDLE = 27  # reproduce: the bundle is not a readable zip
    NO_JOURNAL = 28  # reproduce: the bundle has no journal of a live session
    REPRODUCED_PARTLY = 29  # reproduce: an older/newer bundle lacked fields; what it had was reproduced
    INGEST_NO_ANSWER = 30  # the ingest accepted the connection, then said nothing
    NOT_AN_RTMP_SERVER = 31  # it answered, but not as an RTMP server (HTTP, closed or reset at once)
    TLS_FAILED = 32  # rtmps:// and the TLS handshake failed (not a TLS server, or a TLS error)
    DISK_FULL = 33  # the disk filled while recording (what was recorded is kept)
    NOTHING_TO_CLIP = 34  # `clips`: no sold lot inside the recording, or the asked lot is unsold/missing
    INTERRUPTED = 130


class UserError(Exception):
    """A failure the user can fix. ``str(err)`` is the single line shown to them."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, exit_code: ExitCode | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UnreachableHostError(UserError):
    exit_code = ExitCode.UNREACHABLE_HOST


class RejectedKeyError(UserError):
    exit_code = ExitCode.REJECTED_KEY


class BadUrlError(UserError):
    exit_code = ExitCode.BAD_URL


class DeviceNotFoundError(UserError):
    exit_code = ExitCode.MISSING_CAMERA


class UnsupportedSizeError(UserError):
    exit_code = ExitCode.UNSUPPORTED_SIZE


class AudioLibraryMissingError(UserError):
    exit_code = ExitCode.MISSING_AUDIO_LIBRARY


class UnwritablePathError(UserError):
    exit_code = ExitCode.UNWRITABLE_PATH


class BadMediaFileError(UserError):
    exit_code = ExitCode.BAD_MEDIA_FILE
