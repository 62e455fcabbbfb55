"""Nobody approves their own personal self-diagnosis report (the college's default, as for the
unit reports: DOMAIN.md §6); edit it in admin with the other separation-of-duties rules."""

from django.db import migrations


def add(apps, schema_editor):
    DutyRule = apps.get_model("engine", "DutyRule")
    DutyRule.objects.get_or_create(
        process="review.personal",
        earlier_step="author",
        later_step="approve",
        kind="person",
        defaults={"description": "个人诊改报告的撰写人不得审核本人的报告"},
    )


class Migration(migrations.Migration):
    dependencies = [("review", "0003_personal_reports"), ("engine", "0008_absence")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
