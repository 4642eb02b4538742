"""What README.md, docs/destinations.md, docs/breaks.md and docs/i18n.md promise, run as written.

Hidden acceptance tests are written from those documents alone, so a flag, an exit code, a printed
line or a file name they give must hold exactly. Each test here runs the real command (a subprocess
of ``seller-studio``) or the real function the document names, with the document's own example
where it has one. Promises that other test files already check are not repeated here.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from seller_studio import i18n
from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.faults import FaultSpecError, parse_simulate
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.show import break_draw
from seller_studio.show.break_board import new_break
from seller_studio.show.csv_import import import_csv, parse_price_cents
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.studio.destination import Destination
from seller_studio.studio.presets import validate
from tests.helpers import REPO, SELLER_STUDIO

SEED = "6f1c0d9e4b2a7f3c5e8d1a6b9c2f4e7a0d3b6c9f2e5a8d1b4c7f0a3e6d9b2c5f"
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(SELLER_STUDIO + list(args), capture_output=True, text=True, encoding="utf-8",
                          env={**os.environ, **(env or {})}, cwd=cwd, stdin=subprocess.DEVNULL, timeout=timeout)


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: error:")]


# --- README: the exit-code table ---------------------------------------------------------------------

def test_the_readme_exit_code_table_is_the_code_s_table() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("Every failure a person can fix prints one line and exits with its own code:")[1]
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", table.split("\n## ")[0], re.M))
    documented = {int(code) for code in rows}
    in_code = {int(c) for c in ExitCode if 10 <= c < 100}
    assert documented == in_code, (sorted(documented ^ in_code), "README table and common/errors.py differ")
    # Spot checks that the rows mean what the names say.
    assert "ingest unreachable" in rows[str(int(ExitCode.UNREACHABLE_HOST))]
    assert "no stream key" in rows[str(int(ExitCode.NO_STREAM_KEY))]
    assert "--simulate" in rows[str(int(ExitCode.BAD_SIMULATE_SPEC))]
    assert "break verify" in rows[str(int(ExitCode.DRAW_MISMATCH))]
    assert "clips" in rows[str(int(ExitCode.NOTHING_TO_CLIP))]


@pytest.mark.parametrize("option, spec, words", [
    ("--camera", "junk.mp4", "cannot play video file junk.mp4"),  # a file that is not media
    ("--mic", "junk.wav", "cannot play audio file junk.wav"),
    ("--camera", "missing.mp4", "cannot play video file missing.mp4"),  # a file that is not there
    ("--mic", "missing.wav", "cannot play audio file missing.wav"),
])
def test_a_media_file_that_cannot_be_read_is_exit_18(tmp_path: Path, option: str, spec: str, words: str) -> None:
    """README: ``--camera`` / ``--mic`` take a video or audio file; 18 = "a media file cannot be read"
    (a missing ``show.mp4`` is a file the studio cannot read, not a camera it cannot find)."""
    (tmp_path / "junk.mp4").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "junk.wav").write_bytes(bytes(range(256)) * 20)
    proc = run("stream", option, spec, "--record", "out.mkv", "--size", "320x180", "--duration", "1", cwd=tmp_path)
    errors = error_lines(proc)
    assert proc.returncode == ExitCode.BAD_MEDIA_FILE == 18, proc.stderr
    assert len(errors) == 1 and words in errors[0], proc.stderr


# --- docs/destinations.md: --dest, keys, fault specs, the validator ---------------------------------

def test_a_dest_without_a_key_is_one_line_naming_it_exit_19() -> None:
    proc = run("stream", "--dest", "shop=rtmp://127.0.0.1:1/live", "--size", "320x180", "--duration", "1",
               env=NO_KEYRING)
    errors = error_lines(proc)
    assert proc.returncode == ExitCode.NO_STREAM_KEY == 19, proc.stderr
    assert len(errors) == 1 and errors[0].startswith("seller-studio: error: destination 'shop': no stream key: ")


@pytest.mark.parametrize("dest, words", [
    ("noequals", "NAME=URL"),
    ("a=rtmp://h.example/live,canvas=round", "canvas must be landscape or vertical"),
    ("a=rtmp://h.example/live,preset=myspace", "unknown preset 'myspace'"),
])
def test_a_bad_dest_is_one_line_exit_2(dest: str, words: str) -> None:
    proc = run("stream", "--dest", dest, "--no-key", "--size", "320x180", "--duration", "1", env=NO_KEYRING)
    errors = error_lines(proc)
    assert proc.returncode == ExitCode.USAGE == 2, proc.stderr
    assert len(errors) == 1 and words in errors[0], proc.stderr


def test_the_documented_fault_specs_parse_as_written() -> None:
    # README, "The studio window" and "Sub-second for auctions"; docs/destinations.md, "From the command line".
    specs = {
        "camera-lost@30s:10s,net-drop@60s:20s,disconnect@90s": [("camera-lost", 30, 10, None), ("net-drop", 60, 20, None),
                                                                 ("disconnect", 90, None, None)],
        "camera-freeze@5s:3s": [("camera-freeze", 5, 3, None)],
        "mic-lost@12s": [("mic-lost", 12, None, None)],
        "slow-uplink@20s:1500kbps": [("slow-uplink", 20, None, None)],
        "slow-uplink@20s:1500kbps:8s": [("slow-uplink", 20, 8, None)],
        "delayed-acks@7s:1500ms:4s": [("delayed-acks", 7, 4, None)],
        "net-drop@30s:10s:tiktok": [("net-drop", 30, 10, "tiktok")],
        "slow-uplink@20s:800kbps:yt": [("slow-uplink", 20, None, "yt")],
        "slow-uplink@20s:800kbps:30s:yt": [("slow-uplink", 20, 30, "yt")],
        "thread-crash@40s:output:shop": [("thread-crash", 40, None, "shop")],
    }
    for spec, expected in specs.items():
        faults = parse_simulate(spec)
        assert [(f.kind, f.at_s, f.duration_s, f.destination) for f in faults] == expected, spec
    assert parse_simulate("slow-uplink@20s:800kbps:30s:yt")[0].rate_kbps == 800
    assert parse_simulate("delayed-acks@7s:1500ms")[0].delay_ms == 1500
    for part in ("encoder", "output", "recording", "stats"):
        assert parse_simulate(f"thread-crash@3s:{part}")[0].part == part
    # "A name used there must start with a letter."
    for spec in ("net-drop@30s:10s:9lives", "slow-uplink@20s:800kbps:_x"):
        with pytest.raises(FaultSpecError) as info:
            parse_simulate(spec)
        assert info.value.exit_code == ExitCode.BAD_SIMULATE_SPEC and "\n" not in str(info.value)


def test_a_net_drop_naming_a_whip_destination_is_a_one_line_spec_error() -> None:
    """README: "`--simulate net-drop` cannot cut a WHIP destination ...: naming one is a one-line spec error"."""
    proc = run("stream", "--dest", "w=http://127.0.0.1:1/whip", "--no-key", "--size", "320x180", "--duration", "20",
               "--simulate", "net-drop@1s:1s:w", env=NO_KEYRING)
    errors = error_lines(proc)
    assert proc.returncode == ExitCode.BAD_SIMULATE_SPEC == 23, proc.stderr
    assert len(errors) == 1 and "net-drop cannot cut the WHIP destination 'w'" in errors[0], proc.stderr


def _doc_block_after(path: Path, marker: str) -> list[str]:
    text = path.read_text(encoding="utf-8").split(marker, 1)[1]
    return re.search(r"```\n(.*?)```", text, re.S).group(1).strip().splitlines()


def test_the_validator_says_what_destinations_md_shows() -> None:
    """Every line of docs/destinations.md's "Examples of what it says:" comes out of ``validate`` as written."""
    def d(name: str, url: str, preset: str = "custom", key: str = "k1") -> Destination:
        return Destination(name, url, None, preset=preset, key=key, name=name)

    report = validate([d("fb", "rtmp://live-api-s.facebook.com:80/rtmp", "facebook"),
                       d("fbwhip", "https://whip.example/x", "facebook"),
                       d("one", "rtmp://ingest.example/live", key="same"),
                       d("two", "rtmp://ingest.example/live", key="same"),
                       d("tt", "rtmp://push.tiktok.example/live", "tiktok", key="k2")],
                      {"landscape": VideoSettings(1920, 1080, 30, 9000, keyframe_interval_s=5.0)}, AudioSettings())
    said = report.lines()
    documented = _doc_block_after(REPO / "docs" / "destinations.md", "Examples of what it says:")
    assert len(documented) >= 7
    missing = [line for line in documented if line not in said]
    assert missing == [], (missing, said)


# --- docs/breaks.md: `break verify` ------------------------------------------------------------------

def test_break_verify_json_has_the_documented_fields() -> None:
    buyers = ["ann", "bo", "ann"]
    proc = run("break", "verify", SEED, *buyers, "--teams", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    expected = break_draw.draw(SEED, break_draw.numbered_spots(5), buyers)
    assert {"seed_hash", "commitment", "assignments", "unassigned", "ok", "problems"} <= set(answer)
    assert answer["seed_hash"] == expected.seed_hash and answer["commitment"] == expected.commitment
    assert answer["assignments"] == [{"position": a.position, "buyer": a.buyer, "team": a.team}
                                     for a in expected.assignments]
    assert [a["position"] for a in answer["assignments"]] == [1, 2, 3]
    assert answer["unassigned"] == list(expected.unassigned) and len(answer["unassigned"]) == 2
    assert answer["ok"] is True and answer["problems"] == []
    wrong = run("break", "verify", SEED, *buyers, "--teams", "5", "--json", "--seed-hash", "0" * 64)
    assert wrong.returncode == ExitCode.DRAW_MISMATCH == 25
    answer = json.loads(wrong.stdout)
    assert answer["ok"] is False and len(answer["problems"]) == 1


def test_break_verify_prints_the_unassigned_teams_and_checks_the_seed_hash_alone() -> None:
    result = break_draw.draw(SEED, break_draw.numbered_spots(4), ["ann", "bo"])
    proc = run("break", "verify", SEED, "ann", "bo", "--teams", "4", "--seed-hash", result.seed_hash)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split() for line in lines[2:4]] == [[str(a.position), a.buyer, *a.team.split()]
                                                     for a in result.assignments]
    assert lines[4] == "unassigned: " + ", ".join(result.unassigned)
    assert lines[-1].startswith("OK: ")
    bad = run("break", "verify", SEED, "ann", "bo", "--teams", "4", "--seed-hash", "f" * 64)
    assert bad.returncode == 25
    assert [line for line in bad.stdout.splitlines() if line.startswith("MISMATCH: ")] and "OK:" not in bad.stdout


def test_break_verify_defaults_to_the_30_mlb_teams_in_alphabetical_order() -> None:
    assert list(break_draw.MLB_TEAMS) == sorted(break_draw.MLB_TEAMS) and len(break_draw.MLB_TEAMS) == 30
    assert len(break_draw.NBA_TEAMS) == 30 and len(break_draw.NFL_TEAMS) == 32
    buyers = [f"b{n}" for n in range(30)]
    proc = run("break", "verify", SEED, *buyers)
    assert proc.returncode == 0, proc.stderr
    teams = sorted(line.split(None, 2)[2] for line in proc.stdout.splitlines()[2:])
    assert teams == sorted(break_draw.MLB_TEAMS) and "unassigned" not in proc.stdout
    too_many = run("break", "verify", SEED, *buyers, "b30")  # 31 buyers for 30 MLB teams
    assert too_many.returncode == ExitCode.BAD_BREAK_INPUT == 26
    assert error_lines(too_many) == ["seller-studio: error: 31 buyers for 30 spots: a break cannot have more "
                                     "buyers than spots."]
    nfl = run("break", "verify", SEED, *buyers, "b30", "b31", "--teams", "nfl")
    assert nfl.returncode == 0 and len(nfl.stdout.splitlines()) == 2 + 32, nfl.stderr


def test_a_team_listed_twice_is_one_sentence_exit_26() -> None:
    proc = run("break", "verify", SEED, "ann", "--teams", "Cubs,Mets,Cubs")
    errors = error_lines(proc)
    assert proc.returncode == 26 and len(errors) == 1 and "'Cubs' is listed twice" in errors[0], proc.stderr
    assert proc.stdout == ""


def test_buyer_names_starting_with_a_dash_go_after_double_dash() -> None:
    """docs/breaks.md's own example, and the studio's posted verify line for such names, both run."""
    proc = run("break", "verify", "--teams", "4", SEED, "--", "-ann-", "bo")
    assert proc.returncode == 0, proc.stderr
    expected = break_draw.draw(SEED, break_draw.numbered_spots(4), ["-ann-", "bo"])
    assert proc.stdout.splitlines()[1] == f"commitment: {expected.commitment}"
    assert proc.stdout.splitlines()[2].split()[:2] == ["1", "-ann-"]
    board = new_break("dash", "Dash break", "random-team", "4", 5, {"spots": None}, seed=SEED)
    for n, buyer in enumerate(["-ann-", "bo b", "o'neil"]):
        board.on_sale("spots", buyer, 500, f"sale-{n + 1}")
    board.announce_draw()
    board.run_draw()
    words = shlex.split(board.verify_command())  # "the studio's own verify line quotes names for the shell"
    assert words[:3] == ["seller-studio", "break", "verify"]
    posted = run(*words[1:])
    assert posted.returncode == 0, posted.stderr
    assert "OK: the commitment matches what was posted." in posted.stdout
    assert [line.split()[1] for line in posted.stdout.splitlines()[2:5]] == ["-ann-", "bo", "o'neil"]


# --- docs/i18n.md and README: languages, money, CSV ----------------------------------------------------

@pytest.mark.parametrize("lang, currency", [
    ("nb_NO.UTF-8", "NOK"), ("sv_SE.UTF-8", "SEK"), ("da_DK.UTF-8", "DKK"), ("en_GB.UTF-8", "GBP"),
    ("de_DE.UTF-8", "EUR"), ("fr_FR.UTF-8", "EUR"), ("fi_FI", "EUR"), ("en_US.UTF-8", "USD"), ("C.UTF-8", "USD"),
])
def test_the_currency_follows_the_system_s_region(monkeypatch: pytest.MonkeyPatch, lang: str, currency: str) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LC_MONETARY", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", lang)
    assert i18n.system_currency() == currency


def test_no_nn_and_nb_no_all_mean_bokmal() -> None:
    assert [i18n.normal_language(code) for code in ("nb_NO.UTF-8", "no", "nn", "nn_NO", "en_GB")] == [
        "nb", "nb", "nb", "nb", "en"]


def test_currency_marks_around_a_price_are_ignored() -> None:
    for mark in ("$", "US$", "€", "£", "kr", "NOK", "SEK", "DKK", "EUR", "GBP", "USD"):
        assert parse_price_cents(f"{mark} 12.50", decimal_comma=False) == 1250, mark
        assert parse_price_cents(f"12,50 {mark}", decimal_comma=True) == 1250, mark
    for text in ("1299,00", "1.299,00", "kr 1 299,00", "1299,-"):
        assert parse_price_cents(text, decimal_comma=True) == 129900, text


def test_import_says_its_decimal_style_and_refuses_an_ambiguous_price_in_one_line(tmp_path: Path) -> None:
    sheet = tmp_path / "varer.csv"
    sheet.write_text("Title;Type;Price;Quantity\nLampe;Buy It Now;1299,00;1\nVase;Buy It Now;kr 1 299,50;1\n"
                     "Stol;Buy It Now;450,-;1\nBord;Auction;1.299;1\nSkap;Auction;1,299;1\n", encoding="utf-8")
    proc = run("inventory", "import", str(sheet), "--db", str(tmp_path / "inv.db"), env={"LANG": "C.UTF-8",
                                                                                          "LANGUAGE": "", "LC_ALL": ""})
    assert proc.returncode == ExitCode.SOME_ROWS_REJECTED == 21, proc.stdout + proc.stderr
    assert "semicolon-separated, decimal comma" in proc.stdout.splitlines()[0]
    rows = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("row ")]
    assert rows == ["row 5: Price '1.299' is ambiguous (1299 or 1.299?): write 1299,00 for 1299, or at most 2 decimals",
                    "row 6: Price '1,299' is ambiguous (1299 or 1.299?): write 1299,00 for 1299, or at most 2 decimals"]
    assert "imported: 3" in proc.stdout


def test_a_norwegian_sheet_names_its_columns_and_types_in_norwegian(tmp_path: Path) -> None:
    sheet = tmp_path / "varer.csv"
    sheet.write_text(
        "Kategori;Underkategori;Tittel;Beskrivelse;Antall;Annonsetype;Pris;Fraktprofil;Tilstand;SKU\n"
        "Kort;Pokemon;Lampe;Fin lampe;2;Auksjon;1299,00;Standard;Ny;L-1\n"
        "Kort;Pokemon;Vase;Blå;1;Kjøp nå;450,-;Liten;Brukt;V-1\n"
        "Kort;Pokemon;Gave;;1;Giveaway;0;Standard;Ny;G-1\n", encoding="utf-8")
    with InventoryStore(tmp_path / "inv.db") as store:
        result = import_csv(store, sheet)
        items = {item.sku: item for item in store.list_items()}
    assert result.errors == [] and len(result.imported) == 3
    lamp = items["L-1"]
    assert (lamp.category, lamp.sub_category, lamp.title, lamp.description, lamp.quantity, lamp.type,
            lamp.price_cents, lamp.shipping_profile, lamp.condition) == (
        "Kort", "Pokemon", "Lampe", "Fin lampe", 2, "auction", 129900, "Standard", "Ny")
    assert (items["V-1"].type, items["V-1"].price_cents) == ("buy_it_now", 45000)
    assert items["G-1"].type == "giveaway"
    # The "Type" header is as good as "Annonsetype".
    other = tmp_path / "type.csv"
    other.write_text("Tittel;Type;Pris;Antall\nStol;Kjøp nå;99,50;1\n", encoding="utf-8")
    with InventoryStore(tmp_path / "inv2.db") as store:
        result = import_csv(store, other)
    assert [(i.title, i.type, i.price_cents) for _, i in result.imported] == [("Stol", "buy_it_now", 9950)]


def test_export_sales_writes_the_seller_s_decimal_style_and_a_currency_column(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    with InventoryStore(db) as store:
        item = store.add_item(Item("Lampe", type="buy_it_now", price_cents=129900, quantity=2))
        store.record_sale(item.id, buyer="kari", price_cents=129900, show_id="s1", currency="NOK")
    english = {"LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": ""}
    cases = [(["--decimal", "comma"], english, ";", "1299,00"),
             ([], {**english, "LANG": "nb_NO.UTF-8"}, ";", "1299,00"),  # the studio speaks nb: comma
             ([], english, ",", "1299.00"),
             (["--decimal", "point"], {**english, "LANG": "nb_NO.UTF-8"}, ",", "1299.00")]
    for n, (flags, env, delimiter, price) in enumerate(cases):
        out = tmp_path / f"sales{n}.csv"
        proc = run("inventory", "export-sales", str(out), "--db", str(db), *flags, env=env)
        assert proc.returncode == 0, proc.stderr
        with out.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
        assert rows[0][3] == "Price" and rows[0][-1] == "Currency", (flags, env, rows)
        assert rows[1][3] == price and rows[1][-1] == "NOK" and rows[1][2] == "kari", (flags, env, rows)


def test_the_extract_tool_counts_and_writes_a_template(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    proc = subprocess.run([*SELLER_STUDIO[:1], "-m", "seller_studio.i18n.extract", "--pot", str(pot)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    counts = re.search(r"msgids: (\d+); translated to nb: (\d+)/(\d+)", proc.stdout)
    assert counts and counts.group(1) == counts.group(3) == counts.group(2), proc.stdout
    assert "visible strings not wrapped in tr(): 0" in proc.stdout
    assert pot.read_text(encoding="utf-8").count('msgid "') > 400


# --- README "Chapters and clips per lot" -------------------------------------------------------------

def test_clips_go_to_recording_clips_with_the_timeline_and_the_show_s_currency(tmp_path: Path) -> None:
    recording = tmp_path / "show.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=4", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "60", str(recording)], check=True, timeout=60)
    lines = [{"event": "start", "item_id": "7", "title": "Lampe", "at_s": 0.5},
             {"event": "sale", "item_id": "7", "buyer": "kari", "price_cents": 129900, "order_id": "sale-1",
              "at_s": 1.0, "currency": "NOK"},
             {"event": "end", "item_id": "7", "at_s": 2.5},
             {"event": "start", "item_id": "8", "title": "Vase", "at_s": 2.5},
             {"event": "end", "item_id": "8", "at_s": 3.5}]
    (tmp_path / "show.mkv.chapters.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    proc = run("clips", str(recording))
    assert proc.returncode == 0, proc.stderr
    clip_line = next(line for line in proc.stdout.splitlines() if line.startswith("clip 1:"))
    assert "NOK\xa01,299.00" in clip_line and "$" not in clip_line, clip_line  # the show's currency, not dollars
    out = tmp_path / "show-clips"
    timeline = json.loads((out / "show.timeline.json").read_text(encoding="utf-8"))
    (lot,) = timeline["lots"]
    assert (lot["item_id"], lot["title"], lot["buyer"], lot["price_cents"], lot["currency"]) == (
        "7", "Lampe", "kari", 129900, "NOK")
    assert (lot["start_s"], lot["end_s"]) == (0.5, 2.5) and (out / lot["clip"]).is_file()
    unsold = run("clips", str(recording), "--item", "8")
    assert unsold.returncode == ExitCode.NOTHING_TO_CLIP == 34 and len(error_lines(unsold)) == 1


def test_fuzzy_or_empty_translations_fall_back_and_a_damaged_catalog_is_one_warning(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """docs/i18n.md: "a message the catalog lacks, or has empty or marked fuzzy, is shown as written in
    the code. A missing or damaged catalog file logs one warning and the studio speaks English"."""
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_catalogs", {})
    try:
        (tmp_path / "nb.po").write_text(
            'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            '#, fuzzy\nmsgid "Go Live"\nmsgstr "Gå direkte"\n\n'
            'msgid "End Show"\nmsgstr ""\n\n'
            'msgid "Cut"\nmsgstr "Klipp"\n', encoding="utf-8")
        assert i18n.set_language("nb") == "nb"
        assert (i18n.tr("Go Live"), i18n.tr("End Show"), i18n.tr("Cut")) == ("Go Live", "End Show", "Klipp")
        for damaged in (b"\x00\x01\x02" * 50, 'msgid "Cut"\nmsgstr "Kl\xe6pp"\n'.encode("latin-1")):
            (tmp_path / "nb.po").write_bytes(damaged)
            monkeypatch.setattr(i18n, "_catalogs", {})
            caplog.clear()
            with caplog.at_level("WARNING"):
                assert i18n.set_language("nb") == "nb" and i18n.tr("Cut") == "Cut"
            warnings = [r for r in caplog.records if r.levelname == "WARNING"]
            assert len(warnings) == 1 and "speaks English" in warnings[0].getMessage(), [
                r.getMessage() for r in warnings]
    finally:
        monkeypatch.undo()
        i18n.set_language("en")


# --- more of docs/destinations.md and README "Sub-second for auctions: WHIP" -------------------------

def test_a_dest_key_comes_from_key_env_then_the_keyring_then_the_url(file_keyring, monkeypatch: pytest.MonkeyPatch
                                                                     ) -> None:
    from seller_studio.cli.main import build_parser
    from seller_studio.cli.stream_cmd import show_destinations
    from seller_studio.common.secrets import SecretStore, stream_key_name

    def keys(*argv: str) -> dict[str, str]:
        args = build_parser(["stream", *argv]).parse_args(["stream", *argv])
        return {d.name: d.stream_key() for d in show_destinations(args, "")}

    assert stream_key_name("shop") == "stream-key:shop"
    assert SecretStore().set("stream-key:shop", "from-the-keyring-1")
    monkeypatch.setenv("SHOP_KEY", "from-the-env-2")
    url = "rtmp://ingest.example/live"
    assert keys("--dest", f"shop={url}") == {"shop": "from-the-keyring-1"}
    assert keys("--dest", f"shop={url}", "--key-env", "shop=SHOP_KEY") == {"shop": "from-the-env-2"}
    # No keyring entry for "yt": the key pasted into its URL; the URL itself keeps it (no second key).
    assert keys("--dest", f"yt={url}/pasted-key-3") == {"yt": ""}
    # --url: one unnamed destination named "stream", its key from --destination ENTRY's keyring entry.
    assert SecretStore().set("stream-key:myshop", "entry-key-4")
    args = build_parser(["stream"]).parse_args(["stream", "--url", url, "--destination", "myshop"])
    (main,) = show_destinations(args, "")
    assert main.name == "stream" and main.stream_key() == "entry-key-4"


class _StatusEndpoint:
    """A WHIP endpoint that answers every offer with one HTTP status."""

    def __init__(self, status: int) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status, code, as_dest", [
    (401, ExitCode.REJECTED_KEY, False),
    (403, ExitCode.REJECTED_KEY, True),
    (404, ExitCode.BAD_URL, True),
    (503, ExitCode.UNREACHABLE_HOST, False),
])
def test_a_whip_endpoint_s_answer_is_its_exit_code_naming_endpoint_and_destination(status: int, code: ExitCode,
                                                                                    as_dest: bool) -> None:
    """README: "An endpoint that refuses the key (401/403) is exit code 11, a wrong path (404) 12, a server
    error (5xx) or nothing listening 10 ... each one line naming the endpoint (and the destination)"."""
    endpoint = _StatusEndpoint(status)
    url = f"http://127.0.0.1:{endpoint.port}/whip/live"
    target = ["--dest", f"shop={url}", "--key-env", "shop=K"] if as_dest else [
        "--url", url.replace("http://", "whip://"), "--key-env", "K"]
    try:
        proc = run("stream", *target, "--size", "320x180", "--duration", "20", "--mic", "silence",
                   env={**NO_KEYRING, "K": "key-123"})
    finally:
        endpoint.close()
    errors = error_lines(proc)
    assert proc.returncode == code, proc.stderr
    assert len(errors) == 1 and str(status) in errors[0] and url in errors[0], proc.stderr
    assert "key-123" not in proc.stderr + proc.stdout
    assert errors[0].count("destination 'shop'") == int(as_dest), errors[0]  # named once, not twice


def test_nothing_listening_at_a_whip_endpoint_is_exit_10_and_a_silent_one_exit_30() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    nothing = run("stream", "--url", f"whip://127.0.0.1:{free}/whip", "--no-key", "--size", "320x180",
                  "--duration", "20", "--mic", "silence", env=NO_KEYRING)
    assert nothing.returncode == ExitCode.UNREACHABLE_HOST == 10, nothing.stderr
    assert len(error_lines(nothing)) == 1 and f"127.0.0.1:{free}" in error_lines(nothing)[0]
    with socket.socket() as silent:  # the kernel accepts the connection; nobody answers the offer
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        proc = run("stream", "--url", f"whip://127.0.0.1:{port}/whip", "--no-key", "--size", "320x180",
                   "--duration", "30", "--mic", "silence", env=NO_KEYRING)
    assert proc.returncode == ExitCode.INGEST_NO_ANSWER == 30, proc.stderr
    errors = error_lines(proc)
    assert len(errors) == 1 and "within 5 s" in errors[0] and f"127.0.0.1:{port}" in errors[0], proc.stderr


# --- docs/breaks.md: the board ------------------------------------------------------------------------

def test_a_restarted_studio_reopens_tonight_s_break_fed_again_and_not_an_old_one(tmp_path: Path) -> None:
    """"a restarted studio's Break tab reopens the newest one changed in the last 12 hours ..., on stream
    and fed again; older breaks belong to past shows and stay closed"."""
    from seller_studio.show.controller import ShowController
    from seller_studio.studio.breaks import BreakSession

    breaks_dir = tmp_path / "breaks"
    with InventoryStore(tmp_path / "inv.db") as store:
        show = ShowController(store, "tonight")
        session = BreakSession(show, None, breaks_dir)
        board = session.open_break("Topps Chrome", "random-team", "4", "25.00")
        (item_id,) = board.spec.listings
        assert [i.title for i in store.list_items()] == ["Topps Chrome - spot"]
        show.events.emit("purchase", item_id=int(item_id), buyer="ann", price_cents=2500, quantity=1, sale_id=1)
        assert board.filled == 1 and board.path is not None and board.path.parent == breaks_dir
        session.close()
        restarted = ShowController(store, "tonight")
        again = BreakSession(restarted, None, breaks_dir)
        resumed = again.resume_latest()
        assert resumed is not None and resumed.path == board.path and resumed.buyers() == ["ann"]
        assert resumed.seed == board.seed  # the seed hash posted when it opened still holds
        restarted.events.emit("purchase", item_id=int(item_id), buyer="bo", price_cents=2500, quantity=1, sale_id=2)
        assert resumed.buyers() == ["ann", "bo"]  # fed again
        again.close()
        stale = time.time() - 13 * 3600
        os.utime(board.path, (stale, stale))
        assert BreakSession(ShowController(store, "tomorrow"), None, breaks_dir).resume_latest() is None


def test_the_packing_list_and_the_rejected_sales_kept_in_the_board_s_file(tmp_path: Path) -> None:
    seed = break_draw.new_seed()
    assert re.fullmatch(r"[0-9a-f]{64}", seed)  # 32 random bytes as 64 hex digits
    path = tmp_path / "break.json"
    board = new_break("r1", "Random", "random-team", "2", 5, {"spots": None}, path=path)
    board.on_sale("spots", "ann", 500, "sale-1")
    with pytest.raises(Exception, match="Draw the teams before"):  # a random-team break: only after its draw
        board.export_manifest(tmp_path / "early.csv")
    assert not (tmp_path / "early.csv").exists()
    board.on_sale("spots", "=cmd|' /C calc'!A0", 500, "sale-2")
    board.announce_draw()
    board.run_draw()
    with pytest.raises(Exception, match="after the draw"):
        board.on_sale("spots", "late", 500, "sale-3")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [r["order_id"] for r in saved["rejected"]] == ["sale-3"]  # kept so it can be refunded
    assert board.export_manifest(tmp_path / "m.csv") == 2
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["spot", "team", "buyer", "order id"]
    assert [r[0] for r in rows[1:]] == ["#1", "#2"] and {r[1] for r in rows[1:]} == {"Spot 1", "Spot 2"}
    assert rows[2][2] != "=cmd|' /C calc'!A0" and "cmd" in rows[2][2]  # formula-safe
    # Pick-your-team: the spot is the team, and the list needs no draw.
    pick = new_break("p1", "Pick", "pick-your-team", "Cubs,Mets", 5, {"i-cubs": "Cubs", "i-mets": "Mets"})
    pick.on_sale("i-mets", "bo", 500, "sale-7")
    assert pick.export_manifest(tmp_path / "p.csv") == 1
    with (tmp_path / "p.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1] == ["Mets", "Mets", "bo", "sale-7"]


def test_stream_warns_once_15_minutes_before_facebook_s_8_hours(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/destinations.md: "warned about once, 15 minutes before, naming the destination (... one line on
    stderr from `stream`)"."""
    from seller_studio.cli.main import build_parser
    from seller_studio.cli.stream_cmd import duration_limits, warn_before_limits

    argv = ["stream", "--dest", "fb=rtmps://live-api-s.facebook.com:443/rtmp,preset=facebook",
            "--dest", "yt=rtmps://a.rtmps.youtube.com:443/live2,preset=youtube"]
    limits = duration_limits(build_parser(argv).parse_args(argv))
    assert limits == {"fb": 8 * 3600}
    warn_before_limits(limits, 7 * 3600 + 44 * 60)
    assert capsys.readouterr().err == ""
    warn_before_limits(limits, 7 * 3600 + 45 * 60)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("destination 'fb': ") and "15 minutes" in lines[0], lines
    warn_before_limits(limits, 7 * 3600 + 50 * 60)  # once
    assert capsys.readouterr().err == ""


def test_mic_none_records_no_sound_track_and_camera2_side_by_side_runs(tmp_path: Path) -> None:
    """README: "`--mic` takes `tone`, `silence`, `none`, ..."; "`--camera2` adds a second source ...
    (`--scene side-by-side` for the other layout, `--switch 5:camera2` to switch scenes at 5 s)"."""
    from tests.helpers import ffprobe

    silent = run("stream", "--record", "none.mkv", "--mic", "none", "--size", "320x180", "--duration", "1",
                 cwd=tmp_path)
    assert silent.returncode == 0, silent.stderr
    assert [s["codec_type"] for s in ffprobe(tmp_path / "none.mkv")["streams"]] == ["video"]
    two = run("stream", "--record", "two.mkv", "--camera2", "test-pattern", "--scene", "side-by-side",
              "--switch", "0.5:camera2", "--mic", "silence", "--size", "320x180", "--duration", "1", cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    assert sorted(s["codec_type"] for s in ffprobe(tmp_path / "two.mkv")["streams"]) == ["audio", "video"]


def test_totals_never_add_across_currencies_in_either_language() -> None:
    """docs/i18n.md: "Totals never add across currencies: "kr 2 598,00 + USD 5,00" in Norwegian"."""
    from seller_studio.show.inventory import Sale
    from seller_studio.show.selling import format_total

    sales = [Sale(n, 1, None, "Lampe", "kari", cents, 0.0, "buy_it_now", show, None, currency=currency)
             for n, (cents, show, currency) in enumerate([(129900, "s1", "NOK"), (129900, "s1", "NOK"),
                                                         (500, "s0", "USD")], 1)]
    try:
        i18n.set_language("nb")
        assert format_total(sales).replace("\xa0", " ") == "kr 2 598,00 + USD 5,00"
        i18n.set_language("en")
        assert format_total(sales).replace("\xa0", " ") == "NOK 2,598.00 + $5.00"
    finally:
        i18n.set_language("en")


def test_devices_lists_cameras_microphones_and_encoders_in_text_and_json() -> None:
    """README: "`seller-studio devices [--json]`: cameras with their modes, microphones, encoders"."""
    as_json = run("devices", "--json")
    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)
    assert {"cameras", "microphones", "video_encoders"} <= set(found)
    assert found["video_encoders"].get("x264") == "ok"
    text = run("devices")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "Cameras:" and "Microphones:" in lines and "Video encoders:" in lines and "  x264: ok" in lines
    after = {head: lines[lines.index(head) + 1] for head in ("Cameras:", "Microphones:")}
    if not found["cameras"]:
        assert after["Cameras:"] == "  none found"
    if isinstance(found["microphones"], list) and not found["microphones"]:
        assert after["Microphones:"] == "  none found"  # not "-: none found (0 ch)"


def test_more_destinations_lines_are_the_dest_form_and_a_bad_one_is_one_line_naming_it() -> None:
    """docs/destinations.md, "In the window": Settings → More destinations edits them one per line in the
    `--dest` form; a bad line or a name used twice is one line naming it."""
    from seller_studio.ui.destinations_settings import dest_line, parse_lines

    text = "tiktok=rtmp://push.example/live,canvas=vertical,preset=tiktok\n\nyt=rtmps://a.rtmps.youtube.com:443/live2\n"
    entries = parse_lines(text)
    assert entries == [
        {"name": "tiktok", "url": "rtmp://push.example/live", "canvas": "vertical", "preset": "tiktok", "protocol": ""},
        {"name": "yt", "url": "rtmps://a.rtmps.youtube.com:443/live2", "canvas": "landscape", "preset": "custom",
         "protocol": ""}]
    assert [dest_line(e) for e in entries] == ["tiktok=rtmp://push.example/live,canvas=vertical,preset=tiktok",
                                               "yt=rtmps://a.rtmps.youtube.com:443/live2"]
    for bad, name in (("a=rtmp://x.example/live\na=rtmp://y.example/live", "'a'"),
                      ("b=rtmp://x.example/live,canvas=round", "b"),
                      ("stream=rtmp://x.example/live", "'stream'")):  # the main destination's name
        with pytest.raises(ValueError) as info:
            parse_lines(bad)
        assert "\n" not in str(info.value) and name in str(info.value), str(info.value)


def test_opening_a_break_lists_its_spots_in_the_inventory(tmp_path: Path) -> None:
    """docs/breaks.md: the Break tab "adds its listings to the inventory ("TITLE - spot" with N spots to sell
    as buy-it-now, or "TITLE - TEAM" per team)"."""
    from seller_studio.show.controller import ShowController
    from seller_studio.studio.breaks import BreakSession

    with InventoryStore(tmp_path / "inv.db") as store:
        session = BreakSession(ShowController(store, "tonight"), None, tmp_path / "breaks")
        session.open_break("Bowman", "random-team", "nfl", "10")
        spot = store.list_items()[0]
        assert (spot.title, spot.type, spot.quantity, spot.price_cents) == ("Bowman - spot", "buy_it_now", 32, 1000)
        pick = session.open_break("Prizm", "pick-your-team", "Cubs,Mets,Jays", "12.50")
        titles = [(i.title, i.type, i.quantity, i.price_cents) for i in store.list_items()[1:]]
        assert titles == [(f"Prizm - {t}", "buy_it_now", 1, 1250) for t in ("Cubs", "Mets", "Jays")]
        assert sorted(pick.spec.listings.values()) == ["Cubs", "Jays", "Mets"]
        session.close()


@pytest.mark.parametrize("args, norwegian", [
    (["--dest", "shop=rtmp://127.0.0.1:1/live"], "mål «shop»: ingen strømmenøkkel: lagre den i nøkkelringen under "
                                                 "stream-key:shop eller bruk --key-env shop=VAR"),
    (["--dest", "a=rtmp://x.example/live,preset=foo"], "--dest a: ukjent forhåndsvalg «foo» (bruk platform, tiktok, "
                                                       "youtube, facebook, twitch, custom)"),
    (["--dest", "a=rtmp://127.0.0.1:1/live", "--no-key", "--simulate", "net-drop@1s:1s:tiktok"],
     "--simulate: net-drop nevner målet «tiktok», som denne sendingen ikke har (har: a)"),
])
def test_destination_errors_of_the_cli_are_in_the_seller_s_language(args: list[str], norwegian: str) -> None:
    """README: every user-visible string, CLI errors included, is in nb.po; docs/i18n.md: "The CLI follows
    the system too" (the one-line errors of --dest and of a --simulate naming a destination were English)."""
    env = {**NO_KEYRING, "LANG": "nb_NO.UTF-8", "LANGUAGE": "", "LC_ALL": ""}
    proc = run("stream", *args, "--size", "320x180", "--duration", "1", env=env)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: ")]
    assert lines == [f"seller-studio: feil: {norwegian}"], proc.stderr
    assert proc.returncode in (ExitCode.NO_STREAM_KEY, ExitCode.USAGE, ExitCode.BAD_SIMULATE_SPEC)


def test_window_notices_about_a_destination_read_norwegian() -> None:
    """Notices made in the core stay English (journal) and are translated where shown (docs/i18n.md)."""
    try:
        i18n.set_language("nb")
        assert i18n.tr_text("Destination 'yt' stopped: the destination refused the stream") == (
            "Målet «yt» stoppet: målet avviste strømmen")
        assert i18n.tr_text("Destination 'fb': Facebook Live ends this broadcast in 15 minutes (at 8 hours). Start a "
                            "new broadcast there to go on.") == (
            "Målet «fb»: Facebook Live avslutter denne sendingen om 15 minutter (etter 8 timer). Start en ny sending "
            "der for å fortsette.")
        # A nested message keeps its own translation inside the destination's.
        assert i18n.tr_text("destination 'yt': environment variable K is empty or not set") == (
            "mål «yt»: miljøvariabelen K er tom eller ikke satt")
    finally:
        i18n.set_language("en")


def test_a_bad_whip_url_is_one_line_in_the_seller_s_language() -> None:
    env = {**NO_KEYRING, "LANG": "nb_NO.UTF-8", "LANGUAGE": "", "LC_ALL": ""}
    proc = run("stream", "--url", "whip://:80/x", "--no-key", "--duration", "1", env=env)
    assert proc.returncode == ExitCode.BAD_URL, proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: ")] == [
        "seller-studio: feil: ugyldig WHIP-adresse: den har ikke noe vertsnavn"], proc.stderr


def test_every_validator_line_reads_norwegian_in_an_nb_studio() -> None:
    """The validator's lines (status bar, notices, the CLI) are made in English and shown translated; every
    kind of line, including the ones that start with the platform's name, reads Norwegian as a whole."""
    def d(name: str, url: str, preset: str = "custom", key: str = "k1", canvas: str = "landscape") -> Destination:
        return Destination(name, url, None, preset=preset, key=key, name=name, canvas=canvas)

    report = validate([d("fb", "rtmp://live-api-s.facebook.com:80/rtmp", "facebook"),
                       d("fbwhip", "https://whip.example/x", "facebook"),
                       d("one", "rtmp://ingest.example/live", key="same"),
                       d("two", "rtmp://ingest.example/live", key="same"),
                       d("tt", "rtmp://push.tiktok.example/live", "tiktok", key="k2"),
                       d("tv", "rtmp://push.tiktok.example/live2", "tiktok", key="k3", canvas="vertical"),
                       d("yt", "rtmp://a.rtmp.youtube.com/live2", "youtube", key="k4")],
                      {"landscape": VideoSettings(1920, 1080, 30, 9000, keyframe_interval_s=5.0)},
                      AudioSettings(bitrate_kbps=320))
    lines = report.lines()
    assert len(lines) >= 10
    try:
        i18n.set_language("nb")
        shown = [i18n.tr_text(line) for line in lines]
    finally:
        i18n.set_language("en")
    english = [(line, nb) for line, nb in zip(lines, shown, strict=True) if nb == line]
    assert english == [], english
    for line, nb in zip(lines, shown, strict=True):
        name = line.split(":")[0]
        assert nb.startswith(f"{name}: "), (line, nb)  # the destination's name stays in front, once
    assert "tt: merk: seerne på TikTok LIVE ser vertical-bilder; dette målet får landscape-lerretet" in shown


def test_the_destinations_dock_s_details_read_norwegian() -> None:
    """The Destinations dock's light text ("live, 2480 kbps", "reconnecting (attempt 2)") is made in English
    in the core and shown in the seller's language; the most specific template wins (not "{x} kbps")."""
    try:
        i18n.set_language("nb")
        assert i18n.tr_text("live, 2480 kbps") == "direkte, 2480 kbps"
        assert i18n.tr_text("live, 390 kbps; its link is slow: dropping frames") == (
            "direkte, 390 kbps; linjen er treg: mister bilder")
        assert i18n.tr_text("reconnecting (attempt 2)") == "kobler til på nytt (forsøk 2)"
        assert i18n.tr_text("connecting…") == "kobler til …"
    finally:
        i18n.set_language("en")
