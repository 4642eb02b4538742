"""Build a Studio from a profile's scene collection, and write the collection back (no Qt).

A source spec is ``{"id", "kind", "spec", "label"}`` where kind is test-pattern, camera, video-file,
image or text. Layer rectangles are stored in canvas pixels with the canvas size they were made
for, so a profile whose output size changes keeps its layout in proportion. Each layer also stores
its scale mode (``"scale"``: fill, fit, stretch, or auto = fill for opaque pictures, fit for ones with
alpha), so a camera is never squashed into its rect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seller_studio.common.errors import UserError
from seller_studio.diagnostics import studio_faults
from seller_studio.i18n import tr, tr_noop
from seller_studio.media.audio.base import AudioSource
from seller_studio.media.audio.registry import audio_from_spec
from seller_studio.media.audio.synthetic import SilenceSource, ToneSource
from seller_studio.media.compositor import Layer, Rect, ScaleMode, Scene
from seller_studio.media.layouts import derive_vertical_scene, is_vertical, scene_templates, title_rect
from seller_studio.media.sources import registry
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.camera import list_cameras
from seller_studio.media.studio import Studio
from seller_studio.studio.settings import Profile

log = logging.getLogger(__name__)

SOURCE_KIND_LABELS = {"test-pattern": tr_noop("Test pattern"), "camera": tr_noop("Camera"),
                      "video-file": tr_noop("Video file"), "image": tr_noop("Image"), "text": tr_noop("Text")}
MIC_ID = "mic"


@dataclass
class BuildResult:
    studio: Studio
    specs: dict[str, dict[str, Any]]  # source id -> spec, in the order added
    warnings: list[str] = field(default_factory=list)
    # Vertical scenes the seller edited (kept in the profile); the others follow their landscape scene.
    vertical_edited: set[str] = field(default_factory=set)


def make_source(spec: dict[str, Any], width: int, height: int, fps: float) -> VideoSource:
    """Create (not start) the source a spec describes; UserError with one line when it cannot."""
    if spec["kind"] in ("camera", "test-pattern"):
        # "mode" (optional, "1280x720@30"): the seller's choice in Settings; else the canvas decides.
        # A test pattern with a mode is `reproduce`'s stand-in for a camera that delivered that mode.
        width, height, fps = parse_camera_mode(spec.get("mode")) or (width, height, fps)
    return registry.make_source(spec["kind"], spec["id"], spec.get("spec", ""), width, height, fps)


def parse_camera_mode(text: str | None) -> tuple[int, int, float] | None:
    """``"1280x720@30"`` -> (1280, 720, 30.0); None for "auto", empty or malformed."""
    try:
        size, _, rate = str(text or "").partition("@")
        w, h = (int(n) for n in size.lower().split("x"))
        return (w, h, float(rate or 30)) if w > 0 and h > 0 else None
    except ValueError:
        return None


def default_collection(width: int, height: int, has_camera: bool,
                       second_camera: str | None = None) -> tuple[list[dict], list[dict]]:
    """A first scene collection for the canvas's shape: the camera (or a test pattern) full screen, with
    a title card, and with a second camera picture-in-picture and side by side (stacked when vertical)."""
    # Made once, in the seller's language: the title is on stream, the labels in the Sources list.
    main = ({"id": "camera-1", "kind": "camera", "spec": "0", "label": tr("Camera")} if has_camera
            else {"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": tr("Test pattern")})
    title = {"id": "text-1", "kind": "text", "spec": tr("Welcome to the show!"), "label": tr("Title")}
    sources = [main, title]
    second_id = None
    if second_camera is not None:
        second_id = "camera-2"
        sources.insert(1, {"id": second_id, "kind": "camera", "spec": second_camera, "label": "Product camera"})
    return sources, scene_templates(width, height, main["id"], second_id, title["id"])


def relayout_scenes(scenes: list[dict[str, Any]], width: int, height: int) -> list[dict[str, Any]]:
    """The scene collection for a canvas of the other shape (landscape <-> vertical): the scenes made
    from the templates are laid out again for the new shape (a PiP under the phone app's header,
    side by side becomes stacked, the title across the top); other scenes keep their layers in
    proportion, which the layers' scale modes keep undistorted."""
    from seller_studio.media.compositor import picture_in_picture, side_by_side

    def as_json(rect: Rect | None) -> list[int] | None:
        return [rect.x, rect.y, rect.w, rect.h] if rect is not None else None

    out = []
    for raw in scenes:
        scene = dict(raw, layers=[dict(layer) for layer in raw.get("layers", [])])
        canvas = raw.get("canvas") or [width, height]
        layers = scene["layers"]
        if is_vertical(*canvas) == is_vertical(width, height) or len(layers) != 2:
            out.append(scene)
            continue
        first, second = (layer["source_id"] for layer in layers)
        if raw.get("name") == "Picture in picture":
            placed = picture_in_picture("", first, second, width, height).layers
        elif raw.get("name") in ("Side by side", "Face + product"):
            placed = side_by_side("", first, second, width, height).layers
            scene["name"] = "Face + product" if is_vertical(width, height) else "Side by side"
        elif raw.get("name") == "Camera + title" and layers[0].get("rect") is None:
            layers[1]["rect"] = as_json(title_rect(width, height))
            scene["canvas"] = [width, height]
            out.append(scene)
            continue
        else:
            out.append(scene)
            continue
        for layer, new in zip(layers, placed, strict=True):
            layer["rect"] = as_json(new.rect)
        scene["canvas"] = [width, height]
        out.append(scene)
    return out


def build_studio(profile: Profile, *, audio_fallback: str = "silence", faults: list | None = None,
                 is_strict: bool = False) -> BuildResult:
    """Create and start the studio of a profile: the one assembler of the window and ``stream``.

    In the window (``is_strict`` False) sources that fail become a warning (and a slate-free gap),
    never a crash: a seller with an unplugged camera still gets a window. The headless command is
    strict: the first source or microphone that cannot open raises its one-line ``UserError`` (with
    its exit code) and nothing stays open. ``faults`` (support's ``--simulate``) wraps the cameras
    and the mic so the fault schedule can withhold them."""
    v = profile.video
    studio = Studio(v.width, v.height, v.fps)
    warnings: list[str] = []
    faults = faults or []
    if not profile.sources:
        profile.sources, profile.scenes = default_collection(v.width, v.height, bool(_cameras()))
    camera_ids = studio_faults.camera_like_ids(profile.sources) if faults else set()
    specs: dict[str, dict[str, Any]] = {}
    try:
        for spec in profile.sources:
            try:
                source = make_source(spec, v.width, v.height, v.fps)
                studio.add_source(studio_faults.wrap_video(source, faults, camera_ids))
                if getattr(source, "notice", ""):  # the camera gives less than asked: say so, with the fix
                    warnings.append(f"{spec.get('label') or spec['id']}: {source.notice}")
            except UserError as exc:
                if is_strict:
                    raise
                warnings.append(f"{spec.get('label') or spec['id']}: {exc}")
            specs[spec["id"]] = dict(spec)
        for raw in profile.scenes:
            studio.add_scene(scene_from_json(raw, v.width, v.height))
        if not studio.compositor.scenes:
            studio.add_scene(Scene("Scene 1", []))
        vertical_edited: set[str] = set()
        if profile.has_vertical_canvas and not is_vertical(v.width, v.height):
            vertical_edited = add_vertical_canvas(studio, profile)
        if is_strict:
            audio, warning = audio_from_spec(MIC_ID, profile.audio.mic), ""
        else:
            audio, warning = make_audio(profile.audio.mic, audio_fallback)
        if warning:
            warnings.append(warning)
        if audio is not None:
            studio.add_audio(studio_faults.wrap_audio(audio, faults), profile.audio.gain_db)
        try:
            studio.start()
        except Exception as exc:  # a mic that refuses to open must not stop the window
            if is_strict:
                raise
            log.warning("audio start failed: %s", exc)
            studio.mixer.remove(MIC_ID)
            warnings.append(tr_noop("Microphone could not start ({error}); the show has no sound until you pick another.")
                            .format(error=exc))
            studio.start()
    except BaseException:
        studio.stop()
        raise
    return BuildResult(studio, specs, warnings, vertical_edited)


def add_vertical_canvas(studio: Studio, profile: Profile) -> set[str]:
    """Give the studio its second canvas (``profile.vertical``) with a scene per landscape scene: the
    seller's edited one from ``profile.vertical_scenes`` or one derived from the landscape scene.
    Returns the names of the edited ones."""
    vp = profile.vertical
    edited = {str(raw.get("name")): raw for raw in profile.vertical_scenes}
    comp = studio.compositor
    scenes = [scene_from_json(edited[name], vp.width, vp.height) if name in edited
              else derive_vertical_scene(scene, comp.width, comp.height, vp.width, vp.height)
              for name, scene in comp.scenes.items()]
    studio.add_vertical_canvas(vp.width, vp.height, scenes)
    return set(edited) & set(comp.scenes)


def vertical_recording_path(path: Path) -> Path:
    """The vertical canvas's recording beside the landscape one: show.mkv -> show.vertical.mkv."""
    return path.with_name(f"{path.stem}.vertical{path.suffix or '.mkv'}")


def vertical_scenes_to_json(studio: Studio, edited: set[str]) -> list[dict[str, Any]]:
    """The edited vertical scenes as the profile stores them (derived ones are not stored)."""
    vertical = studio.vertical
    if vertical is None:
        return []
    return [scene_to_json(scene, vertical.width, vertical.height)
            for name, scene in vertical.scenes.items() if name in edited]


def make_audio(choice: str, fallback: str = "silence") -> tuple[AudioSource | None, str]:
    """The mic for a profile choice (tone, silence, none, a device index or name, an audio file); on
    "auto" the first microphone. One that cannot be found becomes ``fallback`` and a warning."""
    if choice == "auto":
        from seller_studio.media.audio.microphone import MicrophoneSource, list_microphones

        try:
            mics = list_microphones()
            if not mics:
                what = (tr_noop("No microphone found: a test tone plays instead.") if fallback == "tone"
                        else tr_noop("No microphone found: the show has no live sound."))
                return _fallback(fallback), what
            return MicrophoneSource(MIC_ID, mics[0]["index"]), ""
        except UserError as exc:
            return _fallback(fallback), f"Microphone: {exc}"
    try:
        return audio_from_spec(MIC_ID, choice), ""
    except UserError as exc:
        return _fallback(fallback), f"Microphone: {exc}"


def _fallback(kind: str) -> AudioSource:
    return ToneSource(MIC_ID) if kind == "tone" else SilenceSource(MIC_ID)


def _cameras() -> list[dict[str, Any]]:
    try:
        return list_cameras()
    except OSError:
        return []


def scene_from_json(raw: dict[str, Any], width: int, height: int) -> Scene:
    canvas_w, canvas_h = raw.get("canvas") or [width, height]
    sx, sy = width / max(1, canvas_w), height / max(1, canvas_h)
    layers = []
    for z, layer in enumerate(raw.get("layers", [])):
        r = layer.get("rect")
        rect = Rect(round(r[0] * sx), round(r[1] * sy), round(r[2] * sx), round(r[3] * sy)) if r else None
        scale = layer.get("scale")
        mode = ScaleMode(scale) if scale in {m.value for m in ScaleMode} else None  # None/"auto": by content
        layers.append(Layer(layer["source_id"], rect, z=z, is_visible=bool(layer.get("visible", True)),
                            scale_mode=mode))
    return Scene(str(raw.get("name", "Scene")), layers)


def collection_to_json(studio: Studio, specs: dict[str, dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    comp = studio.compositor
    scenes = [scene_to_json(scene, comp.width, comp.height) for scene in comp.scenes.values()]
    return list(specs.values()), scenes


def scene_to_json(scene: Scene, width: int, height: int) -> dict[str, Any]:
    """A scene as the profile stores it (layers bottom to top, rects in pixels of a WxH canvas)."""
    layers = [{"source_id": layer.source_id, "visible": layer.is_visible,
               "rect": [layer.rect.x, layer.rect.y, layer.rect.w, layer.rect.h] if layer.rect else None,
               "scale": ScaleMode(layer.scale_mode).value if layer.scale_mode else "auto"}
              for layer in sorted(scene.layers, key=lambda layer: layer.z)]
    return {"name": scene.name, "canvas": [width, height], "layers": layers}


def new_source_id(kind: str, existing: set[str] | dict) -> str:
    n = 1
    while f"{kind}-{n}" in existing:
        n += 1
    return f"{kind}-{n}"
