"""`seller-studio clips RECORDING`: one clip per sold lot, cut without re-encoding, and a shoppable
timeline JSON (item id, start, end, price, buyer) a platform replay can use to sell what is on
screen. Lots come from the recording's chapters sidecar (``RECORDING.chapters.jsonl``, written as
the show goes) or, without it, from the chapters inside the file."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from seller_studio.cli.inventory_cmd import printable
from seller_studio.common.errors import ExitCode, UserError
from seller_studio.i18n import tr_noop
from seller_studio.media.clips import chapters_of, cut, remux_with_chapters, scan
from seller_studio.platform.rules import format_money
from seller_studio.studio.chapters import Lot, LotSale, chapters_for, read_sidecar, sidecar_path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("clips", help="cut one clip per sold lot of a recording, and a shoppable timeline")
    p.add_argument("recording", type=Path, metavar="RECORDING", help="the show's recording (MKV)")
    p.add_argument("--out", type=Path, metavar="DIR", help="where clips go (default: RECORDING-clips beside it)")
    p.add_argument("--item", metavar="ITEM_ID", action="append",
                   help="only this item's lot (repeatable); an unsold or missing lot is an error")
    p.add_argument("--format", choices=("mp4", "mkv"), default="mp4", help="clip container (default mp4)")
    p.add_argument("--merge-chapters", action="store_true",
                   help="also write the sidecar's chapters into the recording (after a killed studio left none)")
    p.set_defaults(func=run)


def _lots_from_file(recording: Path) -> list[Lot]:
    lots = []
    for chapter in chapters_of(recording):
        tb = chapter["time_base"]
        meta = chapter.get("metadata") or {}
        lot = Lot(str(meta.get("item_id", chapter.get("id", ""))), str(meta.get("title", "")),
                  float(chapter["start"] * tb), float(chapter["end"] * tb))
        if meta.get("buyer"):
            lot.sales.append(LotSale(str(meta["buyer"]), int(meta.get("price_cents", 0))))
            lot.title = lot.title.split(" - ")[0]
        lots.append(lot)
    return lots


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "lot"


def run(args: argparse.Namespace) -> int:
    recording: Path = args.recording
    if not recording.is_file():
        raise UserError(tr_noop('no recording at {recording}').format(recording=recording), ExitCode.BAD_INPUT_FILE)
    span = scan(recording)
    side = sidecar_path(recording)
    lots = read_sidecar(side) if side.is_file() else _lots_from_file(recording)
    source = side.name if side.is_file() else "the chapters in the file"
    if not lots:
        raise UserError(tr_noop('{name} has no lots: no {name2} beside it and no chapters in it (was it recorded by the studio while items were shown?).').format(name=recording.name, name2=side.name), ExitCode.NOTHING_TO_CLIP)
    if args.merge_chapters and side.is_file():
        if chapters_of(recording):
            print(f"{recording.name} already has its chapters; left as it is.")
        else:
            chapters = chapters_for(lots, recording_start_s=span.start_s, recording_end_s=span.end_s)
            remux_with_chapters(recording, chapters)
            print(f"wrote {len(chapters)} chapters from {side.name} into {recording.name}")
    wanted = set(args.item or [])
    if wanted:
        for item_id in sorted(wanted):
            lot = next((lot for lot in lots if lot.item_id == item_id), None)
            if lot is None:
                raise UserError(tr_noop('Item {item_id} has no lot in this recording: it was shown while the recording was off, or never shown.').format(item_id=item_id), ExitCode.NOTHING_TO_CLIP)
            if not lot.is_sold:
                raise UserError(tr_noop('Item {item_id} ({title}) was not sold in this recording: no clip.').format(item_id=item_id, title=lot.title),
                                ExitCode.NOTHING_TO_CLIP)
    out_dir: Path = args.out or recording.with_name(recording.stem + "-clips")
    out_dir.mkdir(parents=True, exist_ok=True)
    timeline = []
    made = 0
    for n, lot in enumerate(lots, 1):
        if not lot.is_sold or (wanted and lot.item_id not in wanted):
            continue
        start = lot.start_s if lot.start_s is not None else span.start_s
        end = lot.end_s if lot.end_s is not None else span.end_s
        label = f"{printable(lot.title)} ({lot.item_id})"
        if end <= span.start_s or start >= span.end_s:
            print(f"skipped {label}: its lot ({start:.1f}-{end:.1f} s) is outside the recording "
                  f"({span.start_s:.1f}-{span.end_s:.1f} s); the recording was off then.")
            continue
        notes = []
        if start < span.start_s or lot.start_s is None:
            notes.append("the recording started after this lot began")
            start = span.start_s
        if end > span.end_s:
            notes.append("the recording ended before this lot did")
            end = span.end_s
        clip_path = out_dir / f"{n:02d}-item{_slug(lot.item_id)}-{_slug(lot.title)}.{args.format}"
        result = cut(recording, clip_path, start, end, span)
        made += 1
        early = start - result.start_s
        where = "starts on a keyframe" if result.is_exact_start else f"starts {early:.2f} s early, on the keyframe before"
        print(f"clip {made}: {label} - {printable(lot.buyers)} - {format_money(lot.price_cents, lot.sales[0].currency)}: lot "
              f"{start - span.start_s:.2f}-{end - span.start_s:.2f} s ({end - start:.2f} s) -> {clip_path.name} "
              f"({result.duration_s:.2f} s, {where})" + (f"; {'; '.join(notes)}" if notes else ""))
        timeline.append({
            "item_id": lot.item_id, "title": lot.title,
            "start_s": round(start - span.start_s, 3), "end_s": round(end - span.start_s, 3),
            "price": lot.price_cents / 100, "price_cents": lot.price_cents, "currency": lot.sales[0].currency,
            "buyer": lot.buyers,
            "sales": [{"buyer": s.buyer, "price_cents": s.price_cents, "order_id": s.order_id} for s in lot.sales],
            "clip": clip_path.name, "clip_start_s": round(result.start_s - span.start_s, 3),
            "clip_duration_s": round(result.duration_s, 3),
        })
    if made == 0:
        raise UserError(tr_noop('No sold lot inside {name} ({source}): nothing to cut.').format(name=recording.name, source=source), ExitCode.NOTHING_TO_CLIP)
    timeline_path = out_dir / f"{recording.stem}.timeline.json"
    timeline_path.write_text(json.dumps({"recording": recording.name, "recording_start_s": round(span.start_s, 3),
                                         "times": "seconds from the recording's first frame", "lots": timeline},
                                        indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{made} clip{'s' if made != 1 else ''} in {out_dir}; timeline {timeline_path.name} (lots from {source})")
    return 0
