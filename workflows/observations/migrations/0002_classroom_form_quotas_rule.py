from decimal import Decimal

from django.db import migrations

# Seed 001, 表 11 课程建设质量控制关键点, 课堂教学: the five points a class observation scores.
POINTS = [
    ("教学准备充分度", "教案、课件、教学资源与场地准备是否充分"),
    ("教学内容贴合度", "内容是否贴合课程标准、岗位要求与学生基础"),
    ("方法手段适用度", "教学方法与信息化手段是否适合内容与学生"),
    ("学生课堂参与度", "学生参与讨论、练习与实操的广度和深度"),
    ("教学环节的完整度", "导入、讲授、练习、小结、作业等环节是否完整"),
]


def ship(apps, schema_editor):
    ObservationForm = apps.get_model("observations", "ObservationForm")
    FormVersion = apps.get_model("observations", "FormVersion")
    FormSection = apps.get_model("observations", "FormSection")
    FormItem = apps.get_model("observations", "FormItem")
    DutyQuota = apps.get_model("observations", "DutyQuota")
    EscalationRule = apps.get_model("engine", "EscalationRule")
    form, created = ObservationForm.objects.get_or_create(
        code="classroom",
        defaults={
            "name": "课堂教学质量评价表",
            "description": "听课与教学巡查用表（种子文件 001 表 11 课堂教学质量控制关键点）。",
        },
    )
    if created:
        version = FormVersion.objects.create(form=form, number=1, note="首版")
        section = FormSection.objects.create(version=version, position=1, title="课堂教学")
        for position, (label, guidance) in enumerate(POINTS, start=1):
            FormItem.objects.create(
                section=section,
                position=position,
                label=label,
                guidance=guidance,
                weight=Decimal("20"),
                max_score=10,
            )
    # 学院各级领导干部听课制度 and the supervisors' daily observation: numbers as data, for the
    # quality office to change on its page.
    DutyQuota.objects.get_or_create(role="department_leader", per="term", defaults={"count": 4})
    DutyQuota.objects.get_or_create(role="supervisor", per="week", defaults={"count": 3})
    EscalationRule.objects.get_or_create(
        kind="observation.duty",
        defaults={
            "label": "听课任务",
            "remind_before": 2,
            "leader_after": 0,
            "college_after": 3,
            "college_target": "quality_officer",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("observations", "0001_initial"),
        ("engine", "0002_default_rules"),
    ]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
