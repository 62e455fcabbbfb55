"""Every check of a step (engine.holders.may_do) asks once per request which open tasks were
handed on (转办): this partial index holds exactly those few rows, so the question costs an index
look-up however many tasks the college has open. PostgreSQL only (its JSON operator); elsewhere
the table is small enough to scan."""

from django.db import migrations

INDEX = (
    "CREATE INDEX engine_task_handed_idx ON viewflow_task (id) "
    "WHERE (data ? 'handed') AND status IN ('NEW', 'ASSIGNED', 'STARTED')"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS engine_task_handed_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0010_document_templates"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(create, drop)]
