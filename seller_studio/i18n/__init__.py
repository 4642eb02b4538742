"""The studio's one translation mechanism: gettext-style catalogs, Qt-free (core, CLI and window).

Why not Qt's tr()/QTranslator: the core (health verdicts, show notes, the product card's words, CLI
errors) must translate without Qt, and one mechanism for everything means one catalog, one
extraction test and one fallback rule. So:

- ``tr("English text")`` returns the text in the current language; ``ntr(singular, plural, n)`` for
  counts; ``tr_noop`` marks a module-level constant for extraction, translated where it is shown
  (``tr(CONSTANT)``). Placeholders are ``str.format`` names: ``tr("Sold to {buyer}").format(...)``.
- Catalogs are plain gettext ``.po`` files checked in under ``seller_studio/i18n/locale/``
  (``nb.po``: Norwegian Bokmål), read at run time with Babel's reader: nothing is compiled in CI or
  the build. English is the source language and needs no catalog.
- The language follows the system (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; the window
  adds ``QLocale.system()`` for Windows and macOS) unless the profile's ``language`` chooses one
  (Settings → General). A message the catalog lacks (or has empty or fuzzy) stays English.
- ``current_locale()`` is the locale money and numbers are formatted in (``platform.rules.format_money``).

docs/i18n.md tells how to add a string or a language.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).with_name("locale")
SOURCE_LANGUAGE = "en"
# code -> the language's own name (what Settings lists)
LANGUAGES: dict[str, str] = {"en": "English", "nb": "Norsk bokmål"}
# Locales that read Bokmål best when no exact catalog exists (Norwegian "no", Nynorsk "nn").
_ALIASES = {"no": "nb", "nn": "nb", "nb": "nb", "en": "en"}
# The currency a region's seller most likely prices in (the profile's default currency).
_REGION_CURRENCY = {"NO": "NOK", "SE": "SEK", "DK": "DKK", "GB": "GBP", "US": "USD", "SJ": "NOK"}
_EURO_REGIONS = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV",
                 "MT", "NL", "PT", "SI", "SK"}
_LANGUAGE_CURRENCY = {"nb": "NOK", "no": "NOK", "nn": "NOK", "sv": "SEK", "da": "DKK"}


@dataclass(frozen=True)
class Catalog:
    """One language's translations: msgid -> msgstr, and (singular, plural) -> plural forms."""

    language: str
    messages: dict[str, str]
    plurals: dict[tuple[str, str], tuple[str, ...]]

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get((singular, plural))
        # Bokmål and English share the rule: one form for 1, the other for everything else.
        if forms and len(forms) >= 2 and forms[0] and forms[1]:
            return forms[0] if n == 1 else forms[1]
        return singular if n == 1 else plural


_EMPTY = Catalog(SOURCE_LANGUAGE, {}, {})
_lock = threading.Lock()
_catalogs: dict[str, Catalog] = {}
_current: Catalog = _EMPTY


def po_path(language: str) -> Path:
    return LOCALE_DIR / f"{language}.po"


def load_catalog(language: str) -> Catalog:
    """The catalog of ``language`` (cached); an empty one for English or a missing/broken file."""
    with _lock:
        cached = _catalogs.get(language)
    if cached is not None:
        return cached
    catalog = _EMPTY if language == SOURCE_LANGUAGE else _read_po(language)
    with _lock:
        _catalogs[language] = catalog
    return catalog


def _read_po(language: str) -> Catalog:
    from babel.messages.pofile import read_po

    path = po_path(language)
    try:
        with path.open("rb") as f:
            po = read_po(f, locale=language, abort_invalid=True)  # damaged: one warning below, not babel's per line
    except Exception as exc:  # a missing or damaged catalog: English, said once in the log
        log.warning("no usable %s translations (%s): the studio speaks English", language, exc)
        return Catalog(language, {}, {})
    messages: dict[str, str] = {}
    plurals: dict[tuple[str, str], tuple[str, ...]] = {}
    for msg in po:
        if not msg.id or msg.fuzzy:
            continue
        if isinstance(msg.id, tuple | list):
            strings = msg.string if isinstance(msg.string, tuple | list) else (msg.string,)
            plurals[(msg.id[0], msg.id[1])] = tuple(s or "" for s in strings)
        elif msg.string:
            messages[msg.id] = msg.string
    return Catalog(language, messages, plurals)


def normal_language(code: str | None) -> str | None:
    """"nb_NO.UTF-8", "no", "nn-NO", "en_GB" -> a language we have ("nb", "en"), or None."""
    if not code:
        return None
    base = code.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return _ALIASES.get(base)


def system_locale_names() -> list[str]:
    """The system's locale preferences, most wanted first, as gettext reads them."""
    names: list[str] = []
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            names.extend(v for v in value.split(":") if v)
            if var != "LANGUAGE":
                break  # LANGUAGE is a list of preferences; the first LC_* / LANG set decides
    return [n for n in names if n not in ("C", "POSIX") and not n.startswith("C.")]


def system_language(fallback_locale: str | None = None) -> str:
    """The language the system asks for that we have; ``fallback_locale`` (e.g. QLocale's) next; English."""
    for name in [*system_locale_names(), *([fallback_locale] if fallback_locale else [])]:
        language = normal_language(name)
        if language is not None:
            return language
    return SOURCE_LANGUAGE


def system_currency(fallback_locale: str | None = None) -> str:
    """The currency the system's region suggests (nb_NO -> NOK, de_DE -> EUR); USD when it says nothing."""
    names = [os.environ.get("LC_MONETARY", ""), *system_locale_names(), fallback_locale or ""]
    for name in names:
        base = name.split(".")[0].split("@")[0].replace("-", "_")
        parts = base.split("_")
        region = parts[1].upper() if len(parts) > 1 else ""
        if region in _REGION_CURRENCY:
            return _REGION_CURRENCY[region]
        if region in _EURO_REGIONS:
            return "EUR"
        if parts[0].lower() in _LANGUAGE_CURRENCY:
            return _LANGUAGE_CURRENCY[parts[0].lower()]
    return "USD"


def set_language(choice: str | None = None, *, fallback_locale: str | None = None) -> str:
    """Switch the whole process to ``choice`` ("en", "nb"; None, "" or "system": the system's).

    Returns the language now in use. A language without a catalog speaks English.
    """
    global _current
    language = normal_language(choice) if choice and choice != "system" else None
    if language is None:
        language = system_language(fallback_locale)
    _current = load_catalog(language)
    return language


def current_language() -> str:
    return _current.language


def current_locale() -> str:
    """The locale money and numbers are written in: "nb" or "en"."""
    return _current.language


def tr(message: str) -> str:
    """``message`` (English) in the current language; English when the catalog lacks it."""
    return _current.gettext(message)


def ntr(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language (format ``{n}`` yourself)."""
    return _current.ngettext(singular, plural, n)


def tr_text(text: str) -> str:
    """A finished English message in the current language, when the catalog has the template it was
    made from: "Upload too slow: 7% of frames dropped" matches the msgid "Upload too slow: {pct:.0f}%
    of frames dropped" and comes back with 7 in the Norwegian template (pieces caught by a
    placeholder are translated the same way). For text made in the core, which stays English in
    journals and logs (the reproduction compares them), and is translated where it is shown: the
    health row, notices, CLI errors. Untranslatable text comes back unchanged."""
    catalog = _current
    if not text or not catalog.messages:
        return text
    exact = catalog.messages.get(text)
    if exact:
        return exact
    for pattern, _names, target in _templates(catalog):
        m = pattern.fullmatch(text)
        if m is None:
            continue
        values = {name: tr_text(value) if value.strip() and value != text else value
                  for name, value in m.groupdict().items()}
        try:
            return target.format(**values)
        except (KeyError, IndexError, ValueError):
            continue
    return text


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:![rsa])?(?::[^{}]*)?\}")
_template_cache: dict[int, list[tuple[re.Pattern[str], list[str], str]]] = {}  # by id(catalog.messages)


def _templates(catalog: Catalog) -> list[tuple[re.Pattern[str], list[str], str]]:
    cached = _template_cache.get(id(catalog.messages))
    if cached is not None:
        return cached
    out = []
    for msgid, msgstr in catalog.messages.items():
        names = _PLACEHOLDER.findall(msgid)
        if not names:
            continue
        parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, ..., literal
        if len("".join(parts[0::2]).strip()) < 3:
            continue  # "{n}" or "{a} {b}": nothing to recognise the message by
        seen: set[str] = set()
        pieces = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pieces.append(re.escape(part))
            elif part in seen:
                pieces.append(f"(?P={part})")  # the same value again ("write {whole},00 for {whole}")
            else:
                seen.add(part)
                pieces.append(f"(?P<{part}>.*?)")
        regex = "".join(pieces)
        target = _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", msgstr)  # values come formatted
        out.append((re.compile(regex, re.DOTALL), names, target, len("".join(parts[0::2]))))
    # More literal text first: the most specific one wins ("live, {kbps} kbps" before "{stream_bitrate_kbps} kbps",
    # which the regex's length, counting the group names, put first).
    out.sort(key=lambda t: -t[3])
    out = [(pattern, names, target) for pattern, names, target, _ in out]
    _template_cache[id(catalog.messages)] = out  # catalogs are cached for the process: the id stays theirs
    return out


def tr_noop(message: str) -> str:
    """Marks ``message`` for the catalog without translating it now (module-level constants)."""
    return message


__all__ = ["LANGUAGES", "Catalog", "current_language", "current_locale", "load_catalog", "normal_language",
           "ntr", "set_language", "system_currency", "system_language", "tr", "tr_noop", "tr_text"]
