"""The inbox finds a seat's open tasks (engine.steps: owner_permission "role:<role>" and the unit
in owner_permission_obj_pk, status NEW) through this index on viewflow's task table; viewflow's
own indexes cover the owner and the status only. Partial: done tasks, by far the most rows, are
not in it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0006_step_process"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX engine_task_seat_idx ON viewflow_task "
                "(owner_permission, owner_permission_obj_pk) WHERE status = 'NEW'"
            ),
            reverse_sql="DROP INDEX engine_task_seat_idx",
        )
    ]
