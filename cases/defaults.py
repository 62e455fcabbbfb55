"""The default catalogue (seed 001 §五(七)): categories, grades, the category × grade matrix and
the routing rules of the two accepting bodies. All of it is data an administrator may edit; the
data migration loads it once, with the historical models."""

CATEGORIES = {
    "教学事故": ["课堂教学", "考试", "实践教学", "教学管理"],
    "安全事故": ["实验实训安全", "校园安全"],
    "服务质量": ["后勤服务", "管理服务"],
    "其他": ["其他"],
}
# name, rank, acceptance, investigation, rectification, approver, inform committee, discipline
GRADES = [
    ("一般", 1, 3, 10, 15, "body", False, False),
    ("较重", 2, 2, 10, 15, "body", False, False),
    ("严重", 3, 1, 7, 10, "committee", True, False),
    ("重大", 4, 1, 5, 10, "committee", True, True),
]


def seed(Category, Grade, MatrixCell, RoutingRule):
    """Create what is missing; never overwrite what an administrator changed."""
    grades = {}
    for name, rank, acc, inv, rect, approver, committee, discipline in GRADES:
        grades[name] = (
            Grade.objects.get_or_create(name=name, defaults={"rank": rank})[0],
            dict(
                acceptance_days=acc,
                investigation_days=inv,
                rectification_days=rect,
                approver=approver,
                inform_committee=committee,
                inform_discipline=discipline,
            ),
        )
    for order, (top, subs) in enumerate(CATEGORIES.items()):
        parent = Category.objects.get_or_create(name=top, parent=None, defaults={"order": order})[0]
        for sub_order, sub in enumerate(subs):
            leaf = Category.objects.get_or_create(
                name=sub, parent=parent, defaults={"order": sub_order}
            )[0]
            for grade, values in grades.values():
                MatrixCell.objects.get_or_create(category=leaf, grade=grade, defaults=values)
    if not RoutingRule.objects.exists():
        severe = grades["严重"][0]
        RoutingRule.objects.bulk_create(
            [
                RoutingRule(
                    order=10, name="严重及以上等级由学院受理", min_grade=severe, target="college"
                ),
                RoutingRule(
                    order=20,
                    name="涉及多个系部由学院受理",
                    several_departments=True,
                    target="college",
                ),
                RoutingRule(
                    order=30, name="涉及职能部门由学院受理", unit_kind="office", target="college"
                ),
                RoutingRule(
                    order=40, name="涉及学院整体由学院受理", unit_kind="college", target="college"
                ),
                RoutingRule(order=90, name="教学单位的事项由所在系部受理", target="department"),
            ]
        )
