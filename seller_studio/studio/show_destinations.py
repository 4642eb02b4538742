"""The window's show goes to its profile's destination and to ``profile.destinations`` besides: this
keeps the extra ones (their outputs, what the validator said, how each is doing) for the controller.

At Go Live ``prepare`` builds every destination (the key of each from the keyring entry
``stream-key:NAME``), runs the presets' validator over all of them with the main one, opens an
output per destination it did not refuse and returns the lines to show (what it changed, what it
refused). ``rows`` turns the stats bus and the outputs' states into one ``DestinationRow`` each (a
health light and a line) for the window's destinations list. No Qt here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from seller_studio.common.errors import UserError
from seller_studio.common.secrets import SecretStore, stream_key_name
from seller_studio.i18n import tr_noop
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import Output
from seller_studio.studio.destination import Destination
from seller_studio.studio.events import DestinationRow
from seller_studio.studio.presets import preset_id_for, validate

log = logging.getLogger(__name__)

CONGESTED_MS = 700.0  # a send buffer past this drops video: the light turns amber


@dataclass
class ShowDestinations:
    outputs: dict[str, Output] = field(default_factory=dict)  # name -> output of an extra destination
    canvases: dict[str, str] = field(default_factory=dict)  # name -> canvas
    labels: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # name -> why it does not go live
    video: dict[str, VideoSettings] = field(default_factory=dict)  # canvas -> encode after the validator
    _dropped: dict[str, int] = field(default_factory=dict)

    def prepare(self, extras: list[dict[str, str]], primary: Destination | None, secrets: SecretStore,
                video: dict[str, VideoSettings], canvases: tuple[str, ...]) -> list[str]:
        """Build, validate and open the extra destinations; the lines to show the seller."""
        self.clear()
        destinations = []
        lines = []
        for entry in extras:
            name = entry["name"]
            d = Destination(entry["url"], entry["url"], stream_key_name(name), preset=entry.get("preset") or "custom",
                            name=name, canvas=entry.get("canvas") or "landscape", protocol=entry.get("protocol", ""))
            destinations.append(d)
        if primary is not None:  # the profile's own destination names its preset as Settings shows it
            primary = replace(primary, preset=preset_id_for(primary.preset))
        checked = ([primary] if primary is not None else []) + destinations
        report = validate(checked, video, AudioSettings(), canvases=canvases, secrets=secrets)
        self.video = dict(report.video)
        for check in report.checks:
            lines += check.lines()
        for d in destinations:
            check = report.check(d.name)
            self.canvases[d.name] = d.canvas
            self.labels[d.name] = d.url
            if check.is_refused:
                self.refused[d.name] = check.refusals[0]
                continue
            try:
                self.outputs[d.name] = Destination(d.label, check.url, d.key_ref, preset=d.preset, name=d.name,
                                                   canvas=d.canvas, protocol=d.protocol).open_output(secrets)
            except UserError as exc:
                self.refused[d.name] = str(exc)
                lines.append(f"{d.name}: refused: {exc}")
        return lines

    def on_canvas(self, canvas: str) -> list[Output]:
        return [o for name, o in self.outputs.items() if self.canvases.get(name) == canvas]

    def is_any_live(self) -> bool:
        return any(o.state.value == "live" for o in self.outputs.values())

    def drop(self, name: str) -> Output | None:
        """A destination that failed for good leaves the show (its row stays, red, with the error)."""
        output = self.outputs.pop(name, None)
        if output is not None and output.error:
            self.refused[name] = output.error
        return output

    def clear(self) -> None:
        self.outputs, self.canvases, self.labels, self.refused, self._dropped = {}, {}, {}, {}, {}
        self.video = {}

    def rows(self, primary: tuple[str, str, Output] | None, stats_outputs: list[dict[str, Any]]) -> tuple[DestinationRow, ...]:
        """One row per destination: the main one (name, label, output) first, then the extra ones."""
        by_name = {o.get("name"): o for o in stats_outputs if o.get("kind") == "stream"}
        rows = []
        entries: list[tuple[str, str, str, Output | None]] = []
        if primary is not None:
            entries.append((primary[0], primary[1], "landscape", primary[2]))
        entries += [(name, self.labels.get(name, name), self.canvases.get(name, "landscape"), self.outputs.get(name))
                    for name in self.labels]
        for name, label, canvas, output in entries:
            if output is None:
                rows.append(DestinationRow(name, label, canvas, "refused", "bad", self.refused.get(name, tr_noop("not started"))))
                continue
            rows.append(self._row(name, label, canvas, output, by_name.get(name)))
        return tuple(rows)

    def _row(self, name: str, label: str, canvas: str, output: Output, stats: dict[str, Any] | None) -> DestinationRow:
        state = output.state.value
        if state == "failed":
            return DestinationRow(name, label, canvas, state, "bad", output.error or tr_noop("stopped"))
        if state == "reconnecting":
            attempt = getattr(output, "attempt", 0)
            return DestinationRow(name, label, canvas, state, "bad", tr_noop("reconnecting (attempt {attempt})").format(attempt=attempt))
        if state in ("connecting", "idle"):
            return DestinationRow(name, label, canvas, "connecting", "warning", tr_noop("connecting…"))
        if state != "live":
            return DestinationRow(name, label, canvas, state, "idle", state)
        stats = stats or {}
        kbps = float(stats.get("bitrate_sent_kbps") or 0.0)
        dropped = int(stats.get("dropped_network") or 0)
        newly = dropped - self._dropped.get(name, dropped)
        self._dropped[name] = dropped
        if newly > 0 or float(stats.get("send_buffer_ms") or 0.0) > CONGESTED_MS:
            return DestinationRow(name, label, canvas, state, "warning",
                                  tr_noop("live, {kbps} kbps; its link is slow: dropping frames").format(kbps=f"{kbps:.0f}"))
        return DestinationRow(name, label, canvas, state, "good", tr_noop("live, {kbps} kbps").format(kbps=f"{kbps:.0f}"))
