"""engine.text.sentences: Chinese sentences run on without a space, English ones keep theirs."""

from django.utils.translation import gettext as _
from django.utils.translation import override

from engine.duties import refused_text
from engine.text import closed, sentences, without_link


def test_no_space_after_a_full_width_stop_a_space_after_a_narrow_one():
    assert sentences(["职责分离规则不允许您办理此步骤。", "改由：黄丽办理。"]) == (
        "职责分离规则不允许您办理此步骤。改由：黄丽办理。"
    )
    assert sentences(["Not allowed.", "Ask Huang Li."]) == "Not allowed. Ask Huang Li."
    # an English or numeric end before Chinese keeps the space that separates them
    assert sentences(["ZL-2026-0001", "已受理。"]) == "ZL-2026-0001 已受理。"
    assert sentences(["", "  ", "一。"]) == "一。"
    assert sentences([]) == ""


def test_translated_messages_join_as_their_language_writes():
    with override("zh-hans"):
        joined = sentences([_("Access updated."), _("The report moved on.")])
    assert " " not in joined and joined.count("。") == 2
    with override("en"):
        assert sentences([_("Access updated."), _("The report moved on.")]) == (
            "Access updated. The report moved on."
        )


def test_a_persons_words_end_as_a_sentence_before_the_message_goes_on():
    assert closed("已整改") == "已整改。"
    assert closed("已整改。 ") == "已整改。"
    assert closed("Fixed") == "Fixed." and closed("Fixed!") == "Fixed!"
    assert closed("") == ""


def test_the_link_a_message_ends_with_is_left_out_where_the_page_links_it():
    link = "http://zg.example.edu.cn/cases/7/"
    assert without_link(f"查看答复：{link}", "/cases/7/") == "查看答复。"
    assert without_link(f"案件已受理。{link}", "/cases/7/") == "案件已受理。"
    assert without_link(f"Read the answer: {link}", "/cases/7/") == "Read the answer."
    assert without_link(f"理由：材料不全 {link}", "/cases/7/") == "理由：材料不全"
    # a link to another page, or one inside the text, stays
    assert without_link(f"见 {link} 。", "/cases/7/") == f"见 {link} 。"
    assert without_link(f"见 {link}", "/cases/8/") == f"见 {link}"
    assert without_link(f"见 {link}", "") == f"见 {link}"


def test_a_rule_written_with_its_own_full_stop_ends_the_refusal_once():
    class Rule:
        description = "调查人不得认定同一案件。"

    with override("zh-hans"):
        text = refused_text(Rule)
    assert text.endswith("调查人不得认定同一案件。") and "。。" not in text
