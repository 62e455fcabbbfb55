"""How a page, a notification and an export write a number (a reading, a target, a score, a
median): plain digits, no trailing zeros, never exponent notation. A Decimal's own str() gives
"8E+1" for a normalized 80 and "98.3000" for a value stored with four places, so no number is
written through str(), an f-string or `floatformat` (which keeps "98.30" beside "96"). Templates
use the builtin filter `plain` (engine/templatetags/labels.py)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def plain(value, places: int | None = None) -> str:
    """80 → "80", Decimal("98.3000") → "98.3", Decimal("8E+1") → "80", 0 → "0"; at most `places`
    decimals (rounded half up) when given. None (no figure) is "": callers show their own "—",
    and 0 is a figure like any other."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
