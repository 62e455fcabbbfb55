"""Sentences joined as their language writes them: English puts a space between two sentences,
Chinese none after its full-width 。，；：！？ (a space there reads as a stray gap)."""

import unicodedata


def is_wide(char: str) -> bool:
    """A full-width character (Chinese text and punctuation): no space is set beside it."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def sentences(parts) -> str:
    """The non-empty `parts` in order, a space after a part only where it ends in a narrow
    character (an English sentence, a number, a code)."""
    out = ""
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        if out and not is_wide(out[-1]):
            out += " "
        out += part
    return out
