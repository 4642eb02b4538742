"""Output kinds by protocol: which module pushes rtmp, rtmps, srt or whip.

A destination names its protocol; ``make_output`` finds the output kind that speaks it, imports its
module only then (an output kind whose library is missing fails with one line for that destination,
never at start-up), and asks it whether this build can send that protocol at all. One module per
implementation: ``stream.py`` (RTMP/RTMPS over FLV, SRT over MPEG-TS) and ``whip.py`` (WebRTC-HTTP
ingestion). A new kind registers itself with ``register_output_kind`` or gets a line in
``OUTPUT_KINDS``.

Every factory takes ``(url, stream_key, *, name, dynamic_bitrate)`` and returns an ``Output`` that
is not started; a kind may offer ``unavailable_reason(protocol) -> str | None`` (a classmethod).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from seller_studio.common.errors import BadUrlError
from seller_studio.i18n import tr_noop
from seller_studio.media.outputs.base import Output

PROTOCOLS = ("rtmp", "rtmps", "srt", "whip")

# protocol -> "module:attribute" of the output kind's factory (imported at first use).
OUTPUT_KINDS: dict[str, str] = {
    "rtmp": "seller_studio.media.outputs.stream:StreamOutput",
    "rtmps": "seller_studio.media.outputs.stream:StreamOutput",
    "srt": "seller_studio.media.outputs.stream:StreamOutput",
    "whip": "seller_studio.media.outputs.whip:WhipOutput",
}

OutputFactory = Callable[..., Output]
_loaded: dict[str, Any] = {}


def register_output_kind(protocol: str, factory: OutputFactory | str) -> None:
    """Make ``protocol`` go out through ``factory`` (a callable, or "module:attribute")."""
    if isinstance(factory, str):
        OUTPUT_KINDS[protocol] = factory
        _loaded.pop(protocol, None)
    else:
        OUTPUT_KINDS[protocol] = f"{factory.__module__}:{factory.__qualname__}"
        _loaded[protocol] = factory


def output_kind(protocol: str) -> Any:
    """The factory for ``protocol``; BadUrlError with one line when there is none in this build."""
    if protocol in _loaded:
        return _loaded[protocol]
    where = OUTPUT_KINDS.get(protocol)
    if where is None:
        raise BadUrlError(tr_noop("{protocol}:// is not a protocol the studio can send (use {protocols})").format(
            protocol=protocol, protocols=", ".join(PROTOCOLS)))
    module_name, _, attribute = where.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise BadUrlError(tr_noop("this build of the studio has no {protocol} output ({exc})").format(
            protocol=protocol.upper(), exc=exc)) from None
    _loaded[protocol] = factory
    return factory


def unavailable_reason(protocol: str) -> str | None:
    """Why this build cannot send ``protocol`` (not in FFmpeg, no output kind), or None."""
    try:
        factory = output_kind(protocol)
    except BadUrlError as exc:
        return str(exc)
    check = getattr(factory, "unavailable_reason", None)
    return check(protocol) if callable(check) else None


def make_output(protocol: str, url: str, stream_key: str, *, name: str, dynamic_bitrate: bool | None = None) -> Output:
    """The output that pushes to one destination (not started); BadUrlError for a protocol this
    build cannot send or a URL it cannot use."""
    reason = unavailable_reason(protocol)
    if reason is not None:
        raise BadUrlError(reason)
    return output_kind(protocol)(url, stream_key, name=name, dynamic_bitrate=dynamic_bitrate)
