"""Scenes that follow the show: an auction starts -> the overhead scene, a break's draw -> the board
scene, an item is shown -> its product scene, the show ends -> the thank-you scene.

The seller links moments to scenes once (the Show dock's "Scenes follow the show", stored in the
profile as ``scene_follow``); during the show the studio switches at each moment, once. Switching
by hand always wins for the moment: nothing switches back until the next moment happens. A moment
whose scene was renamed or removed switches nothing and says so once in the log.

Rules (``Profile.scene_follow``): ``{"auction": SCENE, "draw": SCENE, "item": SCENE,
"show_end": SCENE, "item:ITEM_ID": SCENE}``; an empty or missing entry leaves the scene alone; an
``item:ID`` entry is that item's own product scene and beats ``item``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from seller_studio.i18n import tr_noop

log = logging.getLogger(__name__)

MOMENTS: dict[str, str] = {
    "auction": "An auction starts",
    "draw": "A break's draw starts",
    "item": "An item is shown",
    "show_end": "The show ends",
}
# The show controller's events that are moments.
SHOW_EVENTS = {"auction_started": "auction", "now_showing": "item", "show_ended": "show_end"}


@dataclass(frozen=True)
class Switch:
    moment: str
    scene: str
    item_id: str | None = None


def check_rules(rules: Any) -> dict[str, str]:
    """The profile's ``scene_follow`` as a clean dict; ValueError naming the bad entry."""
    if not isinstance(rules, dict):
        raise ValueError(tr_noop("`scene_follow` must be an object"))
    clean: dict[str, str] = {}
    for key, scene in rules.items():
        if not isinstance(key, str) or not (key in MOMENTS or key.startswith("item:")):
            raise ValueError(tr_noop("`scene_follow` has an unknown moment {value}").format(value=repr(key)))
        if not isinstance(scene, str):
            raise ValueError(tr_noop("`scene_follow.{key}` must be text").format(key=key))
        if scene:
            clean[key] = scene
    return clean


class SceneFollower:
    """Switches the program at show moments through ``switch(scene) -> bool``; ``scenes()`` lists the
    scenes that exist now. Call ``manual_switch`` when the seller picks a scene by hand."""

    def __init__(self, switch: Callable[[str], bool], scenes: Callable[[], Iterable[str]],
                 rules: dict[str, str] | None = None) -> None:
        self._switch = switch
        self._scenes = scenes
        self.rules: dict[str, str] = dict(rules or {})
        self.history: list[Switch] = []
        self.is_manual_now = False  # the seller took over since the last moment
        self._missing_said: set[str] = set()
        self._last_key: tuple[Any, ...] | None = None

    def scene_for(self, moment: str, item_id: str | None = None) -> str | None:
        if moment == "item" and item_id is not None and self.rules.get(f"item:{item_id}"):
            return self.rules[f"item:{item_id}"]
        return self.rules.get(moment) or None

    def moment(self, moment: str, item_id: Any = None, key: Any = None) -> Switch | None:
        """A show moment happened: switch to its scene (once). Returns what was switched. The same
        moment reported again (``key``: e.g. an auction id replayed after a reconnect, the same item
        shown again by a queue refresh) is not a new moment and never undoes a switch by hand."""
        this_key = (moment, None if item_id is None else str(item_id), key)
        if this_key == self._last_key:
            return None
        self._last_key = this_key
        self.is_manual_now = False  # a new moment: the automatic choice applies again
        scene = self.scene_for(moment, None if item_id is None else str(item_id))
        if scene is None:
            return None
        if scene not in set(self._scenes()):
            if scene not in self._missing_said:
                log.warning("scene follow: %s -> scene %r, which no longer exists", moment, scene)
                self._missing_said.add(scene)
            return None
        if not self._switch(scene):
            return None
        switched = Switch(moment, scene, None if item_id is None else str(item_id))
        self.history.append(switched)
        return switched

    def manual_switch(self, scene: str) -> None:
        """The seller switched by hand: it stands until the next moment."""
        self.is_manual_now = True

    def on_show_event(self, name: str, payload: dict[str, Any]) -> None:
        """A ``ShowController`` event; the moments among them switch."""
        moment = SHOW_EVENTS.get(name)
        if moment is None:
            return
        if moment == "item" and payload.get("item_id") is None:
            return  # nothing showing any more is not a moment
        self.moment(moment, payload.get("item_id"), payload.get("auction_id"))
