"""How the seeds count "字".

Seed 002 附件2 limits each field to N 字. A Chinese character is one 字; so is every other
visible character (a Latin letter, a digit, a punctuation mark). Whitespace (spaces, tabs,
line breaks, the ideographic space) does not count: authors break lines for readability and
the limit is about content. Text is NFC-normalised first so a composed and a decomposed
accented letter count the same. The same rule runs in the browser counter (review/counter.js).
"""

import unicodedata


def char_count(text: str | None) -> int:
    if not text:
        return 0
    return sum(1 for ch in unicodedata.normalize("NFC", text) if not ch.isspace())
