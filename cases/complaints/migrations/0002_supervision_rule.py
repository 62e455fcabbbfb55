from django.db import migrations


def add_rule(apps, schema_editor):
    # The historical model, with the defaults engine.deadlines.ensure_rule would use: remind 2
    # working days before, the leader at the deadline, the college 3 working days later (the committee's chair).
    EscalationRule = apps.get_model("engine", "EscalationRule")
    EscalationRule.objects.get_or_create(
        kind="case.supervision",
        defaults={
            "label": "督办答复",
            "remind_before": 2,
            "leader_after": 0,
            "college_after": 3,
            "college_target": "committee_chair",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("engine", "0002_default_rules"),
    ]

    operations = [migrations.RunPython(add_rule, migrations.RunPython.noop)]
