import pytest

from workflows.review.text import char_count


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        (None, 0),
        ("质量", 2),
        ("质量 保证\n体系", 6),
        ("Python课程", 8),
        ("生师比18:1。", 8),
        ("全角　空格", 4),
        ("e\u0301", 1),  # a decomposed é counts once
    ],
)
def test_characters_are_counted_as_the_seed_means_them(text, count):
    assert char_count(text) == count
