"""Load the default catalogue (cases/defaults.py)."""

from django.db import migrations

from cases import defaults


def seed(apps, schema_editor):
    defaults.seed(
        apps.get_model("cases", "Category"),
        apps.get_model("cases", "Grade"),
        apps.get_model("cases", "MatrixCell"),
        apps.get_model("cases", "RoutingRule"),
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
