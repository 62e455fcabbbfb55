from django.db import migrations


def add_gates(apps, schema_editor):
    from workflows.levels import Level
    from workflows.monitoring.catalogue import gates_for

    StageGate = apps.get_model("monitoring", "StageGate")
    for level in Level.values:
        for stage, kind, label in gates_for(level):
            StageGate.objects.get_or_create(
                level=level, stage=stage, label=label, defaults={"kind": kind}
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(add_gates, migrations.RunPython.noop)]
