"""Remove secrets from any text that leaves the process: log lines, journals, crash reports, bundles.

Two layers, because neither alone is enough:
- known values: every secret this process has seen (stream keys, platform tokens, passwords) is
  registered here and replaced wherever it appears, also URL-encoded;
- shapes: query parameters and ``name=value`` / JSON fields whose name says "key", "token",
  "password" or "secret", user info in URLs, and the stream-key path segment of rtmp(s) URLs. These
  catch secrets this process never saw (an old log, a key typed into a URL field).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "****"
MIN_SECRET_CHARS = 4  # shorter values would mask ordinary words

# Field / parameter names that carry secrets.
# A name is secret when it *ends* in one of these words: stream_key, platformToken, password, but not
# hotkeys or keyframe_interval_s.
SECRET_NAME = (r"(?<![A-Za-z0-9_.\-])[A-Za-z0-9_.\-]*"
               r"(?:key|token|passw(?:or)?d|passphrase|secret|streamid|auth|authorization|sig|signature|pwd|credentials?)")
_SECRET_NAME_RE = re.compile(SECRET_NAME, re.IGNORECASE)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # JSON: "stream_key": "value"  (also with escaped quotes inside a JSON string)
    (re.compile(rf'("{SECRET_NAME}"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE), rf"\g<1>{MASK}\g<3>"),
    (re.compile(rf'(\\"{SECRET_NAME}\\"\s*:\s*\\")((?:[^"\\]|\\[^"])*)(\\")', re.IGNORECASE), rf"\g<1>{MASK}\g<3>"),
    # Python reprs: 'token': 'value'
    (re.compile(rf"('{SECRET_NAME}'\s*:\s*')([^']*)(')", re.IGNORECASE), rf"\g<1>{MASK}\g<3>"),
    # query strings and key=value text: ?key=..., &token=..., password=...
    (re.compile(rf"({SECRET_NAME}\s*=\s*)([^\s&;,\"'<>)\]}}]+)", re.IGNORECASE), rf"\g<1>{MASK}"),
    # "password: value" / "token value" in prose is too loose to match safely; Bearer headers are not
    (re.compile(r"(\bBearer\s+)([A-Za-z0-9._~+/=\-]+)", re.IGNORECASE), rf"\g<1>{MASK}"),
    # user:password@host in any URL
    (re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^/\s:@]*:)([^@\s/]+)(@)", re.IGNORECASE), rf"\g<1>{MASK}\g<3>"),
    # rtmp(s)://host[:port]/app/STREAMKEY: the last path segment after the app is the key
    (re.compile(r"(\brtmps?://[^/\s\"']+/[^/\s\"'?]+/)([^\s\"'?&/<>]+)", re.IGNORECASE), rf"\g<1>{MASK}"),
]


class Redactor:
    """Known secret values plus shape rules. Thread-safe; one process-wide instance is ``REDACTOR``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._values_re: re.Pattern[str] | None = None

    def add(self, *values: str | None) -> None:
        """Register secrets (and their URL-encoded forms) to be masked from now on."""
        changed = False
        with self._lock:
            for value in values:
                if not value or len(value) < MIN_SECRET_CHARS:
                    continue
                for form in {value, quote(value, safe=""), quote_plus(value)}:
                    if form not in self._secrets:
                        self._secrets.add(form)
                        changed = True
            if changed:
                # Longest first so a secret that contains another is masked whole.
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._values_re = re.compile("|".join(re.escape(s) for s in ordered))

    def known(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._secrets)

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._values_re = None

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        if not text:
            return text
        values_re = self._values_re
        if values_re is not None:
            text = values_re.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def redact_obj(self, obj: Any) -> Any:
        """A deep copy of JSON-like data with secret-named fields masked and every string redacted."""
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                if isinstance(key, str) and is_secret_name(key) and isinstance(value, str | int | float) and value != "":
                    out[key] = MASK
                else:
                    out[key] = self.redact_obj(value)
            return out
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        if isinstance(obj, str):
            return self.redact(obj)
        return obj


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME_RE.fullmatch(name))


def secret_values_in(obj: Any) -> Iterable[str]:
    """String values of secret-named fields anywhere in JSON-like data (settings files)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and is_secret_name(key) and isinstance(value, str):
                yield value
            else:
                yield from secret_values_in(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from secret_values_in(value)


REDACTOR = Redactor()


def register_secret(*values: str | None) -> None:
    """Call this as soon as a secret is read (keyring, env var, prompt, sandbox start)."""
    REDACTOR.add(*values)


def redact(text: str) -> str:
    return REDACTOR.redact(text)


class RedactingFilter(logging.Filter):
    """On every handler: renders the message (with args and exception text) and redacts it.

    Formatting here instead of in the formatter means no handler can see the raw secret, whatever
    formatter it uses.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or REDACTOR

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.redactor.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.redactor.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # the redacted exc_text is what formatters print
        elif record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True
