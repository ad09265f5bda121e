"""One normalisation for Persian text as users type it, shared by storage keys and searches."""

from __future__ import annotations

import re
import unicodedata

from planapp.core.i18n import ascii_digits

_FOLD = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ك": "ک",  # Arabic kaf
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "\u200c": "",  # zero-width non-joiner: «می‌شود» and «میشود» are the same word to a user
        "\u200d": "",
        "\u0640": "",  # tatweel
    }
)
_SPACES = re.compile(r"\s+")
_HARAKAT = re.compile(r"[\u064b-\u065f\u0670]")


def fold(text: str | None) -> str:
    """Lower-case, digit-folded, diacritic-free, Arabic-to-Persian letters, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _HARAKAT.sub("", text.translate(_FOLD))
    return _SPACES.sub(" ", ascii_digits(text)).strip().lower()


def search_key(*parts: str | None) -> str:
    return " | ".join(fold(p) for p in parts if p)


def clean_line(text: str | None) -> str:
    """A single line of user text: no control characters and no line or paragraph separators (U+2028/2029,
    which str.splitlines() and so the e-mail package treat as line breaks): no forged log lines or headers."""
    if not text:
        return ""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text).strip()
