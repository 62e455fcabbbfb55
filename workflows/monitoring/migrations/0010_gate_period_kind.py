from django.db import migrations, models


def period_gates(apps, schema_editor):
    """A teacher's or a student's personal report is the diagnosis of a yearly cycle; a term's is
    its own self-diagnosis record (catalogue.gates_for): the report's gate becomes the year's,
    the term's is added."""
    from workflows.levels import Level
    from workflows.monitoring.catalogue import gates_for

    StageGate = apps.get_model("monitoring", "StageGate")
    for level in Level.values:
        for stage, kind, label, period_kind in gates_for(level):
            if period_kind:
                StageGate.objects.update_or_create(
                    level=level,
                    stage=stage,
                    label=label,
                    defaults={"kind": kind, "period_kind": period_kind},
                )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0009_cycle_reports")]
    operations = [
        migrations.AddField(
            model_name="stagegate",
            name="period_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("year", "Academic year"),
                    ("term", "Term"),
                    ("month", "Month"),
                    ("week", "Week"),
                ],
                default="",
                help_text=(
                    "Empty: the cycles of every kind of period. A kind: only the cycles of it."
                ),
                max_length=10,
                verbose_name="kind of period",
            ),
        ),
        migrations.RunPython(period_gates, migrations.RunPython.noop),
    ]
