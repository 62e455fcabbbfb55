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


SENTENCE_ENDS = "。！？…”」.!?"


def closed(text) -> str:
    """`text` ending as a sentence does, so a sentence may follow it (a person's words put in
    front of a message's own): a full stop added only where none is, of the text's own width."""
    text = str(text).strip()
    if not text or text[-1] in SENTENCE_ENDS:
        return text
    return text + ("。" if is_wide(text[-1]) else ".")


def without_link(text: str, path: str) -> str:
    """`text` without the link to `path` it ends with (a message's link for mail and chat, where
    nothing else links to the page): the in-app list links the page itself. A colon that led to
    the link ends the sentence instead."""
    stripped = text.rstrip()
    start = max(stripped.rfind("http://"), stripped.rfind("https://"))
    link = stripped[start:] if start >= 0 else ""
    if not path or not link.endswith(path) or any(c.isspace() for c in link):
        return text
    rest = stripped[:start].rstrip()
    if rest.endswith("："):
        rest = rest[:-1] + "。"
    elif rest.endswith(":"):
        rest = rest[:-1] + "."
    return rest
