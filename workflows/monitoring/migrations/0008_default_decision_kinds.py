"""The college's default decision kinds (editable in admin): the seeds name the large loop's
stages (激励, 学习, 创新) but not who decides a reward; these are the usual college rules."""

from django.db import migrations

KINDS = [
    # code, name, stage, level ("" = every level), decider
    ("excellent-teacher", "优秀教师", "incentive", "teacher", "committee"),
    ("key-teacher", "骨干教师", "incentive", "teacher", "committee"),
    ("excellent-student", "优秀学生", "incentive", "student", "department_leader"),
    ("merit-student", "三好学生", "incentive", "student", "department_leader"),
    ("excellent-unit", "先进集体", "incentive", "", "committee"),
    ("training", "培训进修", "learn", "", "department_leader"),
    ("measure-adopted", "创新举措采纳", "innovate", "", "quality_office"),
]


# Nobody decides their own proposal or a matter about themselves (DOMAIN.md §6).
RULES = [
    ("propose", "提出建议的人不得决定本人提出的建议"),
    ("subject", "被推荐（记录）人不得决定与本人有关的事项"),
]


def add(apps, schema_editor):
    DutyRule = apps.get_model("engine", "DutyRule")
    for earlier, description in RULES:
        DutyRule.objects.get_or_create(
            process="monitoring.decision",
            earlier_step=earlier,
            later_step="decide",
            kind="person",
            defaults={"description": description},
        )
    DecisionKind = apps.get_model("monitoring", "DecisionKind")
    for code, name, stage, level, decider in KINDS:
        DecisionKind.objects.get_or_create(
            code=code, defaults={"name": name, "stage": stage, "level": level, "decider": decider}
        )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0007_cycle_decisions"), ("engine", "0008_absence")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
