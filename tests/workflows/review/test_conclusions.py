from fractions import Fraction

import pytest

from workflows.review.conclusions import (
    Conclusion,
    Thresholds,
    abnormal_below,
    compute_conclusion,
    required_for_effective,
)

BEIJING = Thresholds(effective=Fraction(12, 15), abnormal=Fraction(10, 15))
SEED004 = Thresholds(effective=Fraction(80, 100), abnormal=Fraction(70, 100))
E, N, A = Conclusion.EFFECTIVE, Conclusion.NEEDS_IMPROVEMENT, Conclusion.ABNORMAL


@pytest.mark.parametrize(
    ("total", "thresholds", "matched", "expected"),
    [
        # 15 elements: ≥ 12 有效, < 10 异常 (seed 002 verbatim)
        (15, BEIJING, 15, E),
        (15, BEIJING, 12, E),
        (15, BEIJING, 11, N),
        (15, BEIJING, 10, N),
        (15, BEIJING, 9, A),
        (15, BEIJING, 0, A),
        # 16 elements, same proportions: 12.8 → 13 needed; 10.67 → 10 is abnormal, 11 is not
        (16, BEIJING, 13, E),
        (16, BEIJING, 12, N),
        (16, BEIJING, 11, N),
        (16, BEIJING, 10, A),
        # 36 elements at 80 % / 70 %: 28.8 → 29 needed; 25.2 → 25 is abnormal, 26 is not
        (36, SEED004, 29, E),
        (36, SEED004, 28, N),
        (36, SEED004, 26, N),
        (36, SEED004, 25, A),
        # 36 elements under the Beijing proportions: 28.8 → 29; 24 exactly is not abnormal
        (36, BEIJING, 29, E),
        (36, BEIJING, 28, N),
        (36, BEIJING, 24, N),
        (36, BEIJING, 23, A),
    ],
)
def test_conclusion_at_every_boundary(total, thresholds, matched, expected):
    assert (
        compute_conclusion(
            matched=matched, total=total, measures_strong=True, thresholds=thresholds
        )
        == expected
    )


@pytest.mark.parametrize(("total", "matched"), [(15, 12), (15, 15), (16, 13), (36, 29)])
def test_weak_measures_keep_a_high_match_at_needs_improvement(total, matched):
    thresholds = BEIJING if total != 36 else SEED004
    assert (
        compute_conclusion(
            matched=matched, total=total, measures_strong=False, thresholds=thresholds
        )
        == N
    )


def test_strong_measures_do_not_lift_an_abnormal_match():
    assert compute_conclusion(matched=9, total=15, measures_strong=True, thresholds=BEIJING) == A


@pytest.mark.parametrize(
    ("total", "thresholds", "effective_from", "not_abnormal_from"),
    [(15, BEIJING, 12, 10), (16, BEIJING, 13, 11), (36, SEED004, 29, 26)],
)
def test_display_counts_agree_with_the_rule(total, thresholds, effective_from, not_abnormal_from):
    assert required_for_effective(total, thresholds) == effective_from
    assert abnormal_below(total, thresholds) == not_abnormal_from


@pytest.mark.parametrize(
    "kwargs",
    [
        {"matched": 16, "total": 15},
        {"matched": -1, "total": 15},
        {"matched": 0, "total": 0},
    ],
)
def test_impossible_counts_are_refused(kwargs):
    with pytest.raises(ValueError):
        compute_conclusion(measures_strong=True, thresholds=BEIJING, **kwargs)


def test_inverted_thresholds_are_refused():
    with pytest.raises(ValueError):
        Thresholds(effective=Fraction(1, 2), abnormal=Fraction(2, 3))
