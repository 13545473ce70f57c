"""Reading one cell as the user typed it: numbers, ratios, dates, yes/no, 统一社会信用代码, headers.

Every parser takes the cell's text (already stripped; None when empty) and returns the
value or None when the text cannot be read that way. They never raise: the column types
(`types.py`) call them inside pandera checks and report what failed.

`INVISIBLE` are the characters no cell may hold: control characters (Unicode Cc, except
tab, line feed and carriage return), format characters (Cf: the zero-width U+200B–U+200D,
U+2060, U+FEFF, the bidirectional controls U+200E/U+200F, U+202A–U+202E, U+2066–U+2069,
U+061C, the soft hyphen U+00AD, …) and the line and paragraph separators U+2028/U+2029
(Zl, Zp). They are invisible, or turn the rest of a line around, so a name holding one looks
like another; NUL is refused earlier, as binary data.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

# GB 32100-2015: 17 characters + 1 check character over this 31-character alphabet
# (no I, O, Z, S, V); weights of positions 1–17 are 3^(i−1) mod 31.
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CODE_LENGTH = 18

# Unicode 14 (Python 3.11); tests/test_reliability_ingest.py checks it against unicodedata
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
# a number as typed in plain ASCII ('12', '-3.5', '1e3'): what normalising leaves as it is, so `parse_number`
# reads it as float(text) (None when not finite) — `columns` reads a column of them at once
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(
    r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


def normalise(text: object) -> str:
    """Full-width digits, letters and signs as ASCII (NFKC), '−' as '-', spaces trimmed."""
    return unicodedata.normalize("NFKC", str(text)).replace("\u2212", "-").strip()


def invisible_characters(text: str | None) -> list[str]:
    """The `INVISIBLE` characters of a cell, each once, in order of appearance."""
    return list(dict.fromkeys(INVISIBLE.findall(text))) if text else []


def character_name(char: str) -> str:
    """'U+202E (RIGHT-TO-LEFT OVERRIDE)'; control characters, which have no name, as 'U+0007 (control)'."""
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'control')})"


def header_key(text: object) -> str:
    """A header as compared: NFKC (full-width → ASCII), no white space, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def header_keys(text: object) -> list[str]:
    """The header itself and, if it ends with a bracketed unit ('法人企业数（户）'), without it."""
    key = header_key(text)
    keys = [key]
    stripped = re.sub(r"\([^()]*\)$", "", key)
    if stripped and stripped != key:
        keys.append(stripped)
    return keys


def parse_number(text: str | None) -> float | None:
    """A finite decimal number ('12', '-3.5', '1,234.5', '1e3'); None otherwise."""
    if text is None:
        return None
    t = normalise(text)
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    if not _NUMBER.match(t):
        return None
    value = float(t)
    return value if math.isfinite(value) else None


def overflows(text: str | None) -> bool:
    """A number written as one ('1e400', four hundred 9s) whose value is beyond a float's range."""
    if text is None:
        return False
    t = normalise(text)
    t = t.replace(",", "") if _THOUSANDS.match(t) else t.removesuffix("%")
    return bool(_NUMBER.match(t)) and not math.isfinite(float(t))


def parse_whole(text: str | None) -> int | None:
    """A whole number ('12', '12.0'); None for fractions and non-numbers."""
    value = parse_number(text)
    if value is None or value != math.floor(value):
        return None
    return int(value)


def parse_ratio(text: str | None) -> float | None:
    """A ratio as a decimal ('0.985') or a percentage ('98.5%' → 0.985)."""
    if text is None:
        return None
    t = normalise(text)
    if t.endswith("%"):
        value = parse_number(t[:-1])
        return None if value is None else value / 100.0
    return parse_number(t)


def parse_date(text: str | None) -> dt.date | None:
    """2019-07-15, 2019/7/15, 2019.7.15, 2019年7月15日, 20190715 (a time part is ignored)."""
    if text is None:
        return None
    m = _DATE.match(normalise(text))
    if not m:
        return None
    year = int(m.group(1))
    month, day = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
    try:
        return dt.date(year, int(month), int(day))
    except ValueError:
        return None


def normalise_code(text: str | None) -> str | None:
    """A 统一社会信用代码 as written: ASCII, upper case, no spaces."""
    if text is None:
        return None
    t = str(text)
    if t.isascii() and t.isalnum():  # the usual case: NFKC, trimming and spaces change nothing
        return t.upper()
    return _SPACES.sub("", normalise(t)).upper()


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character of the first 17 characters of a code.

    C18 = alphabet[(31 − Σ value(Ci) × Wi mod 31) mod 31].
    """
    total = sum(CODE_ALPHABET.index(c) * w for c, w in zip(first17, CODE_WEIGHTS, strict=True))
    return CODE_ALPHABET[(31 - total % 31) % 31]


def code_length_ok(text: str | None) -> bool:
    return text is not None and len(normalise_code(text) or "") == CODE_LENGTH


def code_alphabet_ok(text: str | None) -> bool:
    code = normalise_code(text) or ""
    return all(c in CODE_ALPHABET for c in code)


def code_region_ok(text: str | None) -> bool:
    """Characters 3–8 (the 行政区划码) are digits; not judged when length or alphabet is wrong."""
    code = normalise_code(text) or ""
    if len(code) != CODE_LENGTH or not code_alphabet_ok(code):
        return True
    return code[2:8].isdigit()


def code_check_ok(text: str | None) -> bool:
    """The 18th character matches; not judged when length or alphabet is wrong."""
    code = normalise_code(text) or ""
    if len(code) != CODE_LENGTH or not code_alphabet_ok(code):
        return True
    return check_character(code[:17]) == code[17]


def forbidden_characters(text: str | None) -> str:
    """The characters of a code that are not in the alphabet, in order of appearance."""
    code = normalise_code(text) or ""
    return "".join(dict.fromkeys(c for c in code if c not in CODE_ALPHABET))


def is_valid_code(text: str | None) -> bool:
    """Length, alphabet, region digits and check character are all right."""
    return (code_length_ok(text) and code_alphabet_ok(text) and code_region_ok(text)
            and code_check_ok(text))


def make_code(first17: str) -> str:
    """A full code from its first 17 characters (used by the demo data and tests)."""
    if len(first17) != 17 or any(c not in CODE_ALPHABET for c in first17):
        raise ValueError(f"{first17!r}: need 17 characters of {CODE_ALPHABET}")
    return first17 + check_character(first17)
