"""Find the studio's user-visible strings in its source (AST, no imports, no Qt): the msgids in
``tr``/``ntr``/``tr_noop`` calls, and string literals handed straight to a widget or dialog without
``tr`` (what ``tests/i18n/test_catalog.py`` refuses). ``python -m seller_studio.i18n.extract``
prints the counts and writes a .pot template (``--pot FILE``) for a translator.
"""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
MARKERS = {"tr": 1, "tr_noop": 1, "ntr": 2}  # function name -> how many leading msgid arguments
# Qt methods and constructors whose text argument a seller reads, and which argument that is.
VISIBLE_CALLS: dict[str, tuple[int, ...]] = {
    "setText": (0,), "setToolTip": (0,), "setWindowTitle": (0,), "setPlaceholderText": (0,),
    "setStatusTip": (0,), "setTitle": (0,), "setLabelText": (0,), "showMessage": (0,), "setSuffix": (0,),
    "setSpecialValueText": (0,), "setPrefix": (0,), "addTab": (1,), "setTabText": (1,), "insertTab": (2,),
    "addMenu": (0,), "addAction": (0,), "addRow": (0,), "setSubTitle": (0,), "setButtonText": (1,),
    "QLabel": (0,), "QPushButton": (0,), "QCheckBox": (0,), "QRadioButton": (0,), "QGroupBox": (0,),
    "QAction": (0,), "QToolButton": (0,),
    "information": (1, 2), "warning": (1, 2), "critical": (1, 2), "question": (1, 2),
    "getText": (1, 2), "getItem": (1, 2), "getInt": (1, 2), "getDouble": (1, 2),
    "getSaveFileName": (1,), "getOpenFileName": (1,), "getExistingDirectory": (1,),
    "confirm": (0, 1), "notice": (0,), "set_status": (0,), "elidedText": (0,), "show_text": (0,),
    "addItem": (0,), "add_dock": (1,), "_set": (1,), "_say": (0,), "show_error": (0,), "QListWidgetItem": (0,), "QTableWidgetItem": (0,),
}
# Folders whose every visible call is checked: the window, dialogs, wizard, replay window, card.
CHECKED = ("ui",)


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def source_files(folders: Iterable[str] = ("",)) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((PACKAGE / folder).rglob("*.py"))


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def msgids(paths: Iterable[Path] | None = None) -> list[Found]:
    """Every literal msgid in a tr/ntr/tr_noop call (ntr gives singular and plural)."""
    out: list[Found] = []
    for path in paths if paths is not None else source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in MARKERS and isinstance(node.func, ast.Name):
                for arg in node.args[: MARKERS[node.func.id]]:
                    text = _literal(arg)
                    if text is not None:
                        out.append(Found(rel, node.lineno, text))
    return out


def _has_words(text: str) -> bool:
    # A seller reads it if it has a word: two letters in a row. "", "—", "1:00", "%" are not words.
    return re.search(r"[^\W\d_]{2}", re.sub(r"\{[^}]*\}", "", text)) is not None


def untranslated(paths: Iterable[Path] | None = None) -> list[Found]:
    """String literals (or f-strings with words outside their placeholders) given straight to a
    visible call, not through tr(): each is a string a Norwegian seller would read in English."""
    out: list[Found] = []
    for path in paths if paths is not None else source_files(CHECKED):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            positions = VISIBLE_CALLS.get(_name(node.func))
            if positions is None:
                continue
            for pos in positions:
                if pos >= len(node.args):
                    continue
                arg = node.args[pos]
                for part in _bare_text(arg):
                    if _has_words(part):
                        out.append(Found(rel, arg.lineno, part))
    return out


def _bare_text(node: ast.expr) -> Iterator[str]:
    """The literal text in ``node`` that no tr() call wraps (an f-string's constant parts, both
    sides of a conditional or a concatenation)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    elif isinstance(node, ast.IfExp):
        yield from _bare_text(node.body)
        yield from _bare_text(node.orelse)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _bare_text(node.left)
        yield from _bare_text(node.right)


def write_pot(path: Path, found: list[Found]) -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(project="Seller Studio")
    for f in found:
        catalog.add(f.text, locations=[(f.path, f.line)])
    with path.open("wb") as fh:
        write_po(fh, catalog, width=110)
    return len(catalog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pot", type=Path, help="write a .pot template of every msgid")
    args = parser.parse_args(argv)
    from seller_studio.i18n import load_catalog

    found = msgids()
    unique = sorted({f.text for f in found})
    nb = load_catalog("nb")
    done = [m for m in unique if m in nb.messages or any(m in key for key in nb.plurals)]
    print(f"msgids: {len(unique)}; translated to nb: {len(done)}/{len(unique)}")
    missing = untranslated()
    print(f"visible strings not wrapped in tr(): {len(missing)}")
    for f in missing:
        print(f"  {f}")
    if args.pot:
        print(f"wrote {write_pot(args.pot, found)} messages to {args.pot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
