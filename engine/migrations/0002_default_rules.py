from django.db import migrations

DEFAULTS = [
    ("case.acceptance", "案件受理", 1, 0, 2, "quality_officer"),
    ("case.investigation", "事故调查", 2, 0, 3, "quality_officer"),
    ("notice.rectification", "整改通知书", 2, 0, 3, "committee_chair"),
    ("warning.response", "预警响应", 1, 0, 3, "quality_officer"),
    ("plan.task", "规划任务", 5, 0, 5, "quality_officer"),
]


def create(apps, schema_editor):
    Rule = apps.get_model("engine", "EscalationRule")
    for kind, label, remind, leader, college, target in DEFAULTS:
        Rule.objects.get_or_create(
            kind=kind,
            defaults={
                "label": label,
                "remind_before": remind,
                "leader_after": leader,
                "college_after": college,
                "college_target": target,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("engine", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
