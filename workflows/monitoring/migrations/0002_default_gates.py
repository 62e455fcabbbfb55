from django.db import migrations


def add_gates(apps, schema_editor):
    from workflows.levels import Level
    from workflows.monitoring.catalogue import gates_for

    StageGate = apps.get_model("monitoring", "StageGate")
    for level in Level.values:
        # the gates of one kind of period come with their field (0010_gate_period_kind)
        for stage, kind, label, period_kind in gates_for(level):
            if period_kind:
                continue
            StageGate.objects.get_or_create(
                level=level, stage=stage, label=label, defaults={"kind": kind}
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(add_gates, migrations.RunPython.noop)]
