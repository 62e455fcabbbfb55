"""The review conclusion rule (seed 002 §三(三)1, seed 004 §七), pure and data-driven.

Thresholds are fractions stored per catalogue: Beijing 12/15 (有效) and 10/15 (异常), applied to
any other element count "按上述比例原则"; seed 004 80 % and 70 %.

Fractional counts: the rule is evaluated in exact rational arithmetic, never by rounding the
required count. With n reviewed elements and m matching:
- 有效 when m / n >= effective ratio AND the panel judged the measures strong. Because m is
  whole, this means m >= ceil(n × ratio): for 16 elements 12/15 × 16 = 12.8, so 13 are needed.
- 异常 when m / n < abnormal ratio: for 16 elements 10/15 × 16 = 10.67, so 10 or fewer match.
- 待改进 otherwise (including a share that reaches the effective ratio with weak measures).
"""

from dataclasses import dataclass
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _


class Conclusion(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    NEEDS_IMPROVEMENT = "needs_improvement", _("Needs improvement")
    ABNORMAL = "abnormal", _("Abnormal")


@dataclass(frozen=True)
class Thresholds:
    effective: Fraction
    abnormal: Fraction

    def __post_init__(self):
        if not (0 < self.abnormal <= self.effective <= 1):
            raise ValueError("thresholds must satisfy 0 < abnormal <= effective <= 1")


def compute_conclusion(
    *, matched: int, total: int, measures_strong: bool, thresholds: Thresholds
) -> Conclusion:
    if total <= 0:
        raise ValueError("a review needs at least one element")
    if not 0 <= matched <= total:
        raise ValueError("matched must lie between 0 and total")
    share = Fraction(matched, total)
    if share < thresholds.abnormal:
        return Conclusion.ABNORMAL
    if share >= thresholds.effective and measures_strong:
        return Conclusion.EFFECTIVE
    return Conclusion.NEEDS_IMPROVEMENT


def required_for_effective(total: int, thresholds: Thresholds) -> int:
    """The smallest number of matching elements that can be 有效 (for display)."""
    needed = thresholds.effective * total
    return -(-needed.numerator // needed.denominator)


def abnormal_below(total: int, thresholds: Thresholds) -> int:
    """The smallest number of matching elements that is not 异常 (for display)."""
    needed = thresholds.abnormal * total
    return -(-needed.numerator // needed.denominator)
