"""Messages built in code read Norwegian where a seller or support person sees them (CLI errors and
warnings, notices), while the English text - what journals and logs keep and the docs quote - is
unchanged. Each case runs the real CLI or the real function that makes the message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seller_studio import i18n
from seller_studio.common.errors import UserError

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], lang: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang, "LC_ALL": "", "LANGUAGE": "", "LC_MESSAGES": "", "PYTHONPATH": str(ROOT),
           "SELLER_STUDIO_HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    return subprocess.run([sys.executable, "-m", "seller_studio", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def error_line(out: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.fixture
def norwegian():
    i18n.set_language("nb")
    yield
    i18n.set_language("en")


def test_an_ftp_url_names_every_scheme_stream_takes_in_both_languages(tmp_path: Path) -> None:
    args = ["stream", "--url", "ftp://host/live", "--no-key", "--duration", "1"]
    en = run_cli(args, "C.UTF-8", tmp_path)
    assert en.returncode == 12
    assert error_line(en) == ("seller-studio: error: bad ingest URL: scheme must be rtmp://, rtmps://, srt://, "
                              "whip:// or whips:// (got 'ftp')")
    nb = run_cli(args, "nb_NO.UTF-8", tmp_path)
    assert nb.returncode == 12
    assert error_line(nb) == ("seller-studio: feil: ugyldig mottaksadresse: må begynne med rtmp://, rtmps://, "
                              "srt://, whip:// eller whips:// (fikk «ftp»)")


def test_a_dest_with_an_unknown_scheme_names_whip_too(tmp_path: Path) -> None:
    args = ["stream", "--dest", "shop=ftp://host/live", "--no-key", "--duration", "1"]
    en = run_cli(args, "C.UTF-8", tmp_path)
    assert "whip://, whips:// or http(s):// for WHIP (got 'ftp')" in error_line(en), en.stderr
    nb = run_cli(args, "nb_NO.UTF-8", tmp_path)
    assert error_line(nb).startswith("seller-studio: feil: mål «shop»: ugyldig mottaksadresse: "), nb.stderr
    assert "whip://, whips:// eller http(s):// for WHIP (fikk «ftp»)" in error_line(nb)


def test_bench_usage_errors_read_norwegian(tmp_path: Path) -> None:
    args = ["bench", "--end-to-end", "--sizes", "huge"]
    en = run_cli(args, "C.UTF-8", tmp_path)
    assert en.returncode != 0
    assert error_line(en).startswith("seller-studio: error: --sizes: unknown canvas 'huge' (choose from "), en.stderr
    nb = run_cli(args, "nb_NO.UTF-8", tmp_path)
    assert error_line(nb).startswith("seller-studio: feil: --sizes: ukjent lerret «huge» (velg blant "), nb.stderr
    nb = run_cli(["bench", "--end-to-end", "--pairs", "0"], "nb_NO.UTF-8", tmp_path)
    assert error_line(nb) == "seller-studio: feil: --pairs og --run-seconds må være større enn null"


def test_the_warning_before_facebooks_eight_hours(capsys: pytest.CaptureFixture[str]) -> None:
    from seller_studio.cli.stream_cmd import warn_before_limits

    limits = {"fb": 8 * 3600.0}
    warn_before_limits(limits, 8 * 3600 - 14 * 60)
    assert capsys.readouterr().err.strip() == ("destination 'fb': the platform ends this broadcast in 14 minutes "
                                               "(at 8 hours): start a new one to go on")
    assert limits == {}  # once per destination
    i18n.set_language("nb")
    try:
        limits = {"fb": 8 * 3600.0}
        warn_before_limits(limits, 8 * 3600 - 20 * 60)
        assert capsys.readouterr().err == ""  # not yet: 15 minutes before
        warn_before_limits(limits, 8 * 3600 - 15 * 60)
        assert capsys.readouterr().err.strip() == ("mål «fb»: plattformen avslutter denne sendingen om 15 minutter "
                                                   "(ved 8 timer): start en ny for å fortsette")
    finally:
        i18n.set_language("en")


def test_two_cameras_with_one_name(norwegian) -> None:
    from seller_studio.media.sources.camera import resolve_camera
    from seller_studio.media.sources.camera_modes import CameraInfo

    infos = [CameraInfo(0, "USB Camera", "/dev/video0"), CameraInfo(2, "USB Camera", "/dev/video2")]
    with pytest.raises(UserError) as err:
        resolve_camera("USB Camera", infos)
    english = str(err.value)  # made in English: the log keeps it so
    assert english == ("2 cameras are called 'USB Camera' (numbers 0 and 2): choose one by its number, e.g. "
                       "--camera 0, or pick it in Settings > Video.")
    assert i18n.tr_text(english) == ("2 kameraer heter «USB Camera» (nummer 0 og 2): velg ett etter nummeret, "
                                     "f.eks. --camera 0, eller velg det i Innstillinger > Video.")
    with pytest.raises(UserError) as err:
        resolve_camera("USB Camera", [*infos, CameraInfo(4, "USB Camera", "/dev/video4")])
    assert str(err.value).startswith("3 cameras are called 'USB Camera' (numbers 0, 2 and 4): ")
    assert i18n.tr_text(str(err.value)).startswith("3 kameraer heter «USB Camera» (nummer 0, 2 og 4): ")
    with pytest.raises(UserError) as err:
        resolve_camera("Studio Cam", [])
    assert i18n.tr_text(str(err.value)) == "fant ikke kameraet «Studio Cam» (kameraer her: ingen funnet)"


def test_the_local_ingest_and_a_send_failure(norwegian) -> None:
    from seller_studio.common.net import free_port
    from seller_studio.diagnostics.rtmp_server import wait_for_port

    port = free_port()
    with pytest.raises(TimeoutError) as err:
        wait_for_port(port, timeout_s=0.1)
    assert str(err.value) == f"nothing listening on port {port}"
    assert i18n.tr_text(str(err.value)) == f"ingenting lytter på port {port}"
    # what a stalled network write says (network_io), nested in the bench's one line
    assert (i18n.tr_text("end-to-end bench: sending failed: not sent within 5 s")
            == "ende-til-ende-måling: sendingen feilet: ikke sendt innen 5 s")


def test_show_notices_from_the_controller(norwegian, tmp_path: Path) -> None:
    from seller_studio.show.controller import ShowController
    from seller_studio.show.inventory import InventoryStore
    from seller_studio.show.selling import SellingError

    controller = ShowController(InventoryStore(tmp_path / "inv.db"), "show-1")
    for text, english, norsk in [("   ", "type a message first", "skriv en melding først"),
                                 ("x" * 501, "chat messages are up to 500 characters",
                                  "chatmeldinger kan ha høyst 500 tegn")]:
        with pytest.raises(SellingError) as err:
            controller.send_chat(text)
        assert str(err.value) == english
        assert i18n.tr_text(str(err.value)) == norsk


def test_a_bad_simulate_spec_reads_norwegian(tmp_path: Path) -> None:
    args = ["stream", "--record", str(tmp_path / "x.mkv"), "--duration", "1", "--simulate", "net-drop@soon"]
    en = run_cli(args, "C.UTF-8", tmp_path)
    assert error_line(en) == ("seller-studio: error: --simulate: bad fault 'net-drop@soon': time 'soon' is not like "
                              "30s, 1.5s, 500ms or 1m30s"), en.stderr
    nb = run_cli(args, "nb_NO.UTF-8", tmp_path)
    assert error_line(nb) == ("seller-studio: feil: --simulate: ugyldig feil «net-drop@soon»: tiden «soon» er ikke på "
                              "formen 30s, 1.5s, 500ms eller 1m30s"), nb.stderr


def test_a_short_csv_row_reads_norwegian_in_the_cli(tmp_path: Path) -> None:
    sheet = tmp_path / "varer.csv"
    sheet.write_text("Tittel;Type;Pris;Antall\nLampe;Auksjon\nVase;Kjøp nå;450,00;1\n", encoding="utf-8")
    out = run_cli(["inventory", "import", str(sheet), "--db", str(tmp_path / "inv.db")], "nb_NO.UTF-8", tmp_path)
    rows = [line.strip() for line in out.stdout.splitlines() if line.strip().startswith("rad ")]
    assert rows == ["rad 2: mangler Antall; mangler Pris; raden har bare 2 av overskriftens 4 celler"], out.stdout
    out = run_cli(["inventory", "import", str(sheet), "--db", str(tmp_path / "inv2.db")], "C.UTF-8", tmp_path)
    assert "row 2: missing Quantity; missing Price; the row has only 2 of the header's 4 cells" in out.stdout, out.stdout


def test_the_health_gates_question(norwegian) -> None:
    from seller_studio.studio.health_gate import HealthGate

    gate = HealthGate()
    for frames, dropped in ((0, 0), (283, 17)):  # 17 of 300 frames dropped: 5.7 %, over the limit
        gate.observe({"frames_encoded": frames, "dropped": {"network": dropped, "encode_lag": 0, "render_lag": 0},
                      "outputs": [{"kind": "stream", "state": "live"}]})
    problem = gate.problem()
    assert problem is not None
    assert problem.reason == ("The stream is dropping 6% of its frames: viewers see a stuttering picture and may "
                              "miss the end.")  # the journal's words
    assert problem.question("auction") == ("Sendingen mister 6 % av bildene: seerne ser et hakkete bilde og kan gå "
                                           "glipp av slutten. En auksjon som pågår, kan ikke avbrytes. Starte "
                                           "auksjonen likevel?")
    i18n.set_language("en")
    assert problem.question("draw") == ("The stream is dropping 6% of its frames: viewers see a stuttering picture "
                                        "and may miss the end. Viewers must see the draw live. Start the draw anyway?")


def test_a_damaged_profile_is_said_in_norwegian(norwegian, tmp_path: Path) -> None:
    from seller_studio.studio.settings import SettingsStore

    store = SettingsStore(tmp_path)
    store.profiles_dir.mkdir(parents=True)
    store.profile_path("Default").write_text('{"video": {"fps": "fast"', encoding="utf-8")
    store.load_profile("Default")
    assert len(store.notices) == 1
    english = store.notices[0]
    assert english.startswith("The profile 'Default' was damaged (not valid JSON at line 1) and was reset to "
                              "defaults; the old file was kept as Default.corrupt-"), english
    assert i18n.tr_text(english).startswith("Filen med profilen «Default» var skadet (ikke gyldig JSON på linje 1) og "
                                            "ble satt tilbake til standardverdier; den gamle filen ble beholdt som "
                                            "Default.corrupt-"), i18n.tr_text(english)
    store.profile_path("Default").write_text('{"countdown_s": 99}', encoding="utf-8")
    store.load_profile("Default")
    assert i18n.tr_text(store.notices[-1]).startswith("Filen med profilen «Default» var skadet (countdown_s må være "
                                                      "0–60)"), store.notices[-1]


def test_the_show_hints_when_there_is_nothing_to_sell(norwegian, tmp_path: Path) -> None:
    from seller_studio.show.controller import ShowController
    from seller_studio.show.inventory import InventoryStore
    from seller_studio.show.selling import SellingError

    controller = ShowController(InventoryStore(tmp_path / "inv.db"), "show-1")
    hint = controller.empty_hint()
    assert hint == "No items yet: import a CSV or add an item (Run of show tab)."
    assert i18n.tr_text(hint) == "Ingen varer ennå: importer en CSV eller legg til en vare (fanen Kjøreplan)."
    with pytest.raises(SellingError) as err:
        controller.next_item()
    assert i18n.tr_text(str(err.value)).startswith("Ingen varer ennå")


def test_support_bundle_and_reproduce_lines_read_norwegian(tmp_path: Path) -> None:
    nb = run_cli(["support-bundle", "--out", str(tmp_path / "b.zip"), "--no-doctor"], "nb_NO.UTF-8", tmp_path)
    assert nb.returncode == 0, nb.stderr
    assert nb.stderr.strip().startswith(f"støttepakke: {tmp_path / 'b.zip'} ("), nb.stderr
    en = run_cli(["support-bundle", "--out", str(tmp_path / "c.zip"), "--no-doctor"], "C.UTF-8", tmp_path)
    assert en.stderr.strip().startswith(f"support bundle: {tmp_path / 'c.zip'} ("), en.stderr
    nb = run_cli(["reproduce", str(tmp_path / "b.zip"), "--print-only"], "nb_NO.UTF-8", tmp_path)
    assert error_line(nb) == (f"seller-studio: feil: {tmp_path / 'b.zip'} har ingen journal: ingenting å gjenskape "
                              "(var selgeren direkte da den ble laget?)")
    en = run_cli(["reproduce", str(tmp_path / "b.zip"), "--print-only"], "C.UTF-8", tmp_path)
    assert error_line(en) == (f"seller-studio: error: {tmp_path / 'b.zip'} has no journal: nothing to reproduce "
                              "(was the seller live when it was made?)")


def test_doctor_reads_norwegian_and_its_json_stays_english(tmp_path: Path) -> None:
    from seller_studio.common.net import free_port

    port = free_port()  # nothing listens: the ingest check fails the same way every time
    args = ["doctor", "--url", f"rtmp://127.0.0.1:{port}/live", "--probe-seconds", "0.2"]
    nb = run_cli(args, "nb_NO.UTF-8", tmp_path)
    assert f"[FAIL] mottak: når ikke 127.0.0.1:{port} (" in nb.stdout, nb.stdout
    assert ("       løsning: Sjekk internettforbindelsen og serveradressen; en brannmur kan blokkere porten."
            in nb.stdout.splitlines()), nb.stdout
    assert "] disk: " in nb.stdout and " GB ledig på " in nb.stdout
    en = run_cli(args, "C.UTF-8", tmp_path)
    assert f"[FAIL] ingest: cannot reach 127.0.0.1:{port} (" in en.stdout, en.stdout
    assert ("       fix: Check the internet connection and the server URL; a firewall may block the port."
            in en.stdout.splitlines())
    as_json = run_cli([*args, "--json"], "nb_NO.UTF-8", tmp_path)  # for support and bundles: English
    assert f'"detail": "cannot reach 127.0.0.1:{port} (' in as_json.stdout, as_json.stdout


def test_status_bar_tooltips_read_norwegian(qtbot, norwegian) -> None:  # noqa: ANN001 - pytest-qt
    from PySide6.QtWidgets import QStatusBar

    from seller_studio.ui.status_widgets import add_status_labels

    bar = QStatusBar()
    qtbot.addWidget(bar)
    labels = add_status_labels(bar)
    assert labels["cpu"].toolTip() == "Studioets CPU-bruk (100 % = én kjerne)"
    assert labels["platform"].toolTip() == "Forbindelsen til live-shopping-plattformen"


def test_a_whip_endpoint_nobody_answers(tmp_path: Path) -> None:
    from seller_studio.common.net import free_port

    port = free_port()
    args = ["stream", "--url", f"whip://127.0.0.1:{port}/whip", "--no-key", "--duration", "2"]
    nb = run_cli(args, "nb_NO.UTF-8", tmp_path)
    errors = [line for line in nb.stderr.splitlines() if line.startswith("seller-studio: ")]
    assert len(errors) == 1 and errors[0].startswith(
        f"seller-studio: feil: når ikke WHIP-endepunktet http://127.0.0.1:{port}/whip ("), nb.stderr
    assert errors[0].endswith("): sjekk adressen og internettforbindelsen din")
    # the log keeps English (support reads it), and so does an English studio
    assert f"cannot reach the WHIP endpoint http://127.0.0.1:{port}/whip (" in nb.stderr
    en = run_cli(args, "C.UTF-8", tmp_path)
    errors = [line for line in en.stderr.splitlines() if line.startswith("seller-studio: ")]
    assert len(errors) == 1 and errors[0].startswith(
        f"seller-studio: error: cannot reach the WHIP endpoint http://127.0.0.1:{port}/whip ("), en.stderr
    assert errors[0].endswith("): check the address and your internet connection")


def test_camera_mode_advice(norwegian) -> None:
    from seller_studio.media.sources.camera_modes import CameraMode, choose_mode, shortfall_sentence

    modes = [CameraMode(1920, 1080, 5.0, "YUYV"), CameraMode(1280, 720, 30.0, "MJPG"), CameraMode(960, 540, 30.0, "MJPG")]
    advice = choose_mode(modes, 1920, 1080, 30).advice
    assert advice == "This camera gives 5 fps at 1920x1080 — choose 1280x720 or 960x540 for 30 fps."
    assert i18n.tr_text(advice) == "Dette kameraet gir 5 fps ved 1920x1080 — velg 1280x720 eller 960x540 for 30 fps."
    sentence = shortfall_sentence((1920, 1080, 30.0), (1280, 720, 30.0), modes)
    assert i18n.tr_text(sentence) == ("Dette kameraet gir 1280x720, ikke 1920x1080: bildet skaleres opp — velg "
                                      "1280x720 i Innstillinger > Video eller bruk et kamera som har 1920x1080.")
