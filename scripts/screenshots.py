"""Screenshots of the studio window in demo mode, live, in a real X window (run under Xvfb).

    scripts/screenshots.sh            # xvfb-run + this script; PNGs land in resources/screenshots/
    scripts/screenshots.sh --vertical # the window with a 720x1280 (9:16) canvas: studio-vertical*.png
    SCREEN=1280x720x24 scripts/screenshots.sh --scenes  # a 1280x720 laptop screen, 5 scenes, live,
                                      # then Studio Mode: studio-1280x720-5-scenes.png, studio-mode*.png
    scripts/screenshots.sh --norwegian  # the studio in Norwegian Bokmål pricing in NOK: *-nb.png

Uses a throwaway SELLER_STUDIO_HOME, the sandbox platform in its own process, the test pattern and
the tone (the build machine has no camera or microphone), and the same qasync loop as the app.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "resources" / "screenshots"


def main() -> int:
    if "--vertical" in sys.argv[1:]:
        return vertical()
    if "--scenes" in sys.argv[1:]:
        return scenes()
    if "--norwegian" in sys.argv[1:]:
        return norwegian()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ["SELLER_STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-shots-")
    from seller_studio.studio.sandbox_process import start_sandbox_process
    from seller_studio.studio.settings import SettingsStore
    from seller_studio.ui.app import demo_profile, make_app
    from seller_studio.ui.main_window import MainWindow
    from seller_studio.ui.settings_dialog import SettingsDialog
    from seller_studio.ui.wizard import SetupWizard

    app, loop = make_app()  # as the app runs
    OUT.mkdir(parents=True, exist_ok=True)
    sandbox = start_sandbox_process(chat_per_min=40)
    store = SettingsStore()
    profile = demo_profile(store)
    profile.audio.mic = "tone"
    window = MainWindow(store, profile, sandbox=sandbox, audio_fallback="tone")
    window.confirm = lambda title, text: True
    window.resize(1600, 900)
    window.move(0, 0)
    window.show()

    def grab(name: str, widget=None) -> None:
        screen = app.primaryScreen()
        target = widget or window
        pixmap = screen.grabWindow(0, target.x(), target.y(), target.frameGeometry().width(),
                                   target.frameGeometry().height())
        path = OUT / name
        pixmap.save(str(path))
        print(f"saved {path.relative_to(REPO)} ({pixmap.width()}x{pixmap.height()})", flush=True)

    async def script() -> None:
        await window.connect_platform()
        while window.studio is None:
            await asyncio.sleep(0.1)
        window.switch_scene("Camera + title")
        await asyncio.sleep(1.0)
        grab("studio-ready.png")
        window.toggle_live()
        await asyncio.sleep(1.5)
        grab("studio-countdown.png")
        while window.live_state != "live":
            await asyncio.sleep(0.1)
        for _ in range(14):  # health judges the last 10 s: let the start-up second fall out of it
            await asyncio.sleep(1.0)
            st = window.last_stats
            print(f"  t={st.get('t_s')} fps={st.get('fps')} dropped={st.get('dropped')} "
                  f"cpu={st.get('cpu_percent')} health={st.get('health', {}).get('level')} "
                  f"preview_fps={window.preview.preview_fps:.1f}", flush=True)
        grab("studio-live.png")
        dialog = SettingsDialog(store, profile, is_live=True, parent=window)
        dialog.tabs.setCurrentIndex(0)
        dialog.show()
        dialog.move(200, 100)
        await asyncio.sleep(1.0)
        grab("settings.png", dialog)
        dialog.reject()
        wizard = SetupWizard(store, profile, has_sandbox=True, parent=window)
        wizard.show()
        wizard.move(300, 100)
        await asyncio.sleep(1.5)
        grab("setup-wizard.png", wizard)
        wizard.reject()
        window.confirm = lambda title, text: True
        window.end_show()
        while window.live_state != "idle":
            await asyncio.sleep(0.1)
        window.close()

    try:
        with loop:
            loop.run_until_complete(script())
    finally:
        window.shutdown()
        sandbox.stop()
    return 0


def norwegian() -> int:
    """The window in Norwegian Bokmål with the show priced in kroner: live with an auction running
    (product card, Show panel), Settings > General and the setup wizard."""
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ["SELLER_STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-shots-nb-")
    from seller_studio.show.selling import AuctionPreset
    from seller_studio.studio.sandbox_process import start_sandbox_process
    from seller_studio.studio.settings import SettingsStore
    from seller_studio.ui.app import apply_language, demo_profile, make_app
    from seller_studio.ui.main_window import MainWindow
    from seller_studio.ui.settings_dialog import SettingsDialog
    from seller_studio.ui.wizard import SetupWizard

    app, loop = make_app()
    OUT.mkdir(parents=True, exist_ok=True)
    store = SettingsStore()
    profile = demo_profile(store)
    profile.audio.mic = "tone"
    profile.language, profile.currency = "nb", "NOK"
    apply_language(app, profile.language)  # as run_studio does, before the window is built
    sandbox = start_sandbox_process(chat_per_min=40, extra_args=["--currency", profile.show_currency])
    window = MainWindow(store, profile, sandbox=sandbox, audio_fallback="tone")
    window.confirm = lambda title, text: True
    window.resize(1600, 900)
    window.move(0, 0)
    window.show()

    def grab(name: str, widget=None) -> None:
        target = widget or window
        pixmap = app.primaryScreen().grabWindow(0, target.x(), target.y(), target.frameGeometry().width(),
                                                target.frameGeometry().height())
        pixmap.save(str(OUT / name))
        print(f"saved {(OUT / name).relative_to(REPO)} ({pixmap.width()}x{pixmap.height()})", flush=True)

    async def script() -> None:
        await window.connect_platform()
        while window.studio is None:
            await asyncio.sleep(0.1)
        window.switch_scene("Camera + title")
        window.toggle_live()
        while window.live_state != "live":
            await asyncio.sleep(0.1)
        panel = window.show_panel
        panel.controller.show_index(2)  # the Norwegian demo sheet's brass lamp, kr 1 299,00
        await asyncio.sleep(2.0)
        await panel.controller.start_auction(AuctionPreset("60 s", duration_s=60))
        for _ in range(12):  # bids from the sandbox's viewers; health judges the last 10 s
            await asyncio.sleep(1.0)
        grab("studio-live-nb.png")
        dialog = SettingsDialog(store, profile, is_live=True, parent=window)
        dialog.tabs.setCurrentIndex(dialog.tabs.count() - 1)  # General: language and currency
        dialog.show()
        dialog.move(200, 100)
        await asyncio.sleep(1.0)
        grab("settings-general-nb.png", dialog)
        dialog.reject()
        wizard = SetupWizard(store, profile, has_sandbox=True, parent=window)
        wizard.show()
        wizard.move(300, 100)
        await asyncio.sleep(1.5)
        grab("setup-wizard-nb.png", wizard)
        wizard.reject()
        while panel.controller.session.is_auction_running:
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)
        window.end_show()
        while window.live_state != "idle":
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        recap = getattr(panel, "recap_dialog", None)
        if recap is not None:
            recap.move(400, 200)
            await asyncio.sleep(0.5)
            grab("show-recap-nb.png", recap)
            recap.close()
        window.close()

    try:
        with loop:
            loop.run_until_complete(script())
    finally:
        window.shutdown()
        sandbox.stop()
    return 0


def vertical() -> int:
    """The window on a vertical canvas: two 16:9 video files opened as cameras (face cam and product
    cam) filled into 9:16 layouts, the phone safe-zone guide, and Settings > Video."""
    import subprocess

    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    home = tempfile.mkdtemp(prefix="studio-shots-")
    os.environ["SELLER_STUDIO_HOME"] = home
    from seller_studio.media.layouts import scene_templates
    from seller_studio.studio.sandbox_process import start_sandbox_process
    from seller_studio.studio.settings import SettingsStore
    from seller_studio.ui.app import demo_profile, make_app
    from seller_studio.ui.main_window import MainWindow
    from seller_studio.ui.settings_dialog import SettingsDialog

    clips = []
    for name, pattern in (("face", "testsrc2=size=1280x720:rate=30"), ("product", "smptehdbars=size=1280x720:rate=30")):
        path = Path(home) / f"{name}.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"{pattern}:duration=30", "-pix_fmt", "yuv420p",
                        "-c:v", "libx264", "-preset", "ultrafast", str(path)], check=True)
        clips.append(str(path))
    app, loop = make_app()
    OUT.mkdir(parents=True, exist_ok=True)
    sandbox = start_sandbox_process(chat_per_min=40)
    store = SettingsStore()
    profile = demo_profile(store)
    profile.audio.mic = "tone"
    profile.video.width, profile.video.height, profile.video.fps = 720, 1280, 30
    profile.sources = [
        {"id": "camera-1", "kind": "camera", "spec": clips[0], "label": "Face cam"},
        {"id": "camera-2", "kind": "camera", "spec": clips[1], "label": "Product cam"},
        {"id": "text-1", "kind": "text", "spec": "Card break tonight!", "label": "Title"},
    ]
    profile.scenes = scene_templates(720, 1280, "camera-1", "camera-2", "text-1")
    window = MainWindow(store, profile, sandbox=sandbox, audio_fallback="tone")
    window.resize(1600, 900)
    window.move(0, 0)
    window.show()

    def grab(name: str, widget=None) -> None:
        target = widget or window
        pixmap = app.primaryScreen().grabWindow(0, target.x(), target.y(), target.frameGeometry().width(),
                                                target.frameGeometry().height())
        pixmap.save(str(OUT / name))
        print(f"saved {(OUT / name).relative_to(REPO)} ({pixmap.width()}x{pixmap.height()})", flush=True)

    async def script() -> None:
        await window.connect_platform()
        while window.studio is None:
            await asyncio.sleep(0.1)
        window.switch_scene("Face + product")
        try:
            window.show_panel.next_item()  # a demo item: the product card, laid out for a phone
        except Exception as exc:  # noqa: BLE001 - a screenshot without the card is still useful
            print(f"no product card: {exc}", flush=True)
        await asyncio.sleep(2.5)
        grab("studio-vertical.png")
        window.switch_scene("Picture in picture")
        window.preview.set_safe_zone_shown(True)
        await asyncio.sleep(1.5)
        grab("studio-vertical-safe-zone.png")
        dialog = SettingsDialog(store, profile, parent=window)
        dialog.tabs.setCurrentIndex(1)
        dialog.show()
        dialog.move(200, 60)
        await asyncio.sleep(1.0)
        grab("settings-vertical.png", dialog)
        dialog.reject()
        from seller_studio.ui.wizard import SetupWizard

        wizard = SetupWizard(store, profile, has_sandbox=True, parent=window)
        wizard.devices.shape.setCurrentIndex(wizard.devices.shape.findData("vertical"))
        wizard.show()
        wizard.move(300, 60)
        await asyncio.sleep(1.5)
        grab("setup-wizard-vertical.png", wizard)
        wizard.reject()
        window.close()

    try:
        with loop:
            loop.run_until_complete(script())
    finally:
        window.shutdown()
        sandbox.stop()
    return 0


def scenes() -> int:
    """The window filling a 1280x720 laptop screen with five scenes, live on the sandbox; then Studio
    Mode with the next scene in the preview, and a scene added while live (it opens in the preview)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ["SELLER_STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-shots-")
    from seller_studio.studio.sandbox_process import start_sandbox_process
    from seller_studio.studio.settings import SettingsStore
    from seller_studio.ui.app import demo_profile, make_app
    from seller_studio.ui.main_window import MainWindow

    app, loop = make_app()
    OUT.mkdir(parents=True, exist_ok=True)
    sandbox = start_sandbox_process(chat_per_min=40)
    store = SettingsStore()
    profile = demo_profile(store)
    profile.audio.mic = "tone"
    w, h = profile.video.width, profile.video.height
    profile.sources = [
        {"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Camera (test pattern)"},
        {"id": "text-1", "kind": "text", "spec": "Vintage denim night", "label": "Title"},
        {"id": "text-2", "kind": "text", "spec": "Be right back!", "label": "BRB"},
    ]
    title = [w // 20, h // 20, w * 2 // 5, h // 10]
    profile.scenes = [
        {"name": "Camera", "canvas": [w, h], "layers": [{"source_id": "pattern-1", "rect": None}]},
        {"name": "Camera + title", "canvas": [w, h], "layers": [{"source_id": "pattern-1", "rect": None},
                                                                {"source_id": "text-1", "rect": title}]},
        {"name": "Close-up", "canvas": [w, h], "layers": [{"source_id": "pattern-1", "rect": [-w // 2, -h // 2, w * 2,
                                                                                            h * 2]}]},
        {"name": "Title card", "canvas": [w, h], "layers": [{"source_id": "text-1",
                                                             "rect": [w // 8, h // 3, w * 3 // 4, h // 6]}]},
        {"name": "Be right back", "canvas": [w, h], "layers": [{"source_id": "text-2",
                                                                "rect": [w // 4, h // 3, w // 2, h // 6]}]},
    ]
    window = MainWindow(store, profile, sandbox=sandbox, audio_fallback="tone")
    window.confirm = lambda title, text: True
    window.resize(1280, 720)
    window.move(0, 0)
    window.show()

    def grab(name: str) -> None:
        pixmap = app.primaryScreen().grabWindow(0, window.x(), window.y(), window.frameGeometry().width(),
                                                window.frameGeometry().height())
        pixmap.save(str(OUT / name))
        print(f"saved {(OUT / name).relative_to(REPO)} ({pixmap.width()}x{pixmap.height()}), window minimum "
              f"{window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}", flush=True)

    async def script() -> None:
        await window.connect_platform()
        while window.studio is None:
            await asyncio.sleep(0.1)
        window.switch_scene("Camera + title")
        window.toggle_live()
        while window.live_state != "live":
            await asyncio.sleep(0.1)
        await asyncio.sleep(3.0)
        grab("studio-1280x720-5-scenes.png")
        window.set_studio_mode(True)
        window.pick_scene("Title card")
        await asyncio.sleep(2.0)
        grab("studio-mode.png")
        window.ask_text = lambda title, label, text: "Unboxing"
        window.controller.set_studio_mode(False)
        await asyncio.sleep(0.5)
        window._add_scene_dialog()  # live: the new scene opens in Studio Mode's preview, not on air
        await asyncio.sleep(2.0)
        grab("studio-mode-scene-added-live.png")
        window.end_show()
        while window.live_state != "idle":
            await asyncio.sleep(0.1)
        window.close()

    try:
        with loop:
            loop.run_until_complete(script())
    finally:
        window.shutdown()
        sandbox.stop()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown (PySide6/qasync finalizer crash after the work is done)
