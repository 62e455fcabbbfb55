"""engine.text.sentences: Chinese sentences run on without a space, English ones keep theirs."""

from django.utils.translation import gettext as _
from django.utils.translation import override

from engine.text import sentences


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
