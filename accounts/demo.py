"""The demo college: a believable structure with one login for every role."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import Membership, OrgUnit, Role, User

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - documented demo credential, printed by seed_demo

K = OrgUnit.Kind

COLLEGE = ("college", "示范职业技术学院")
# (code, name, kind, parent code)
UNITS = [
    ("qac", "学院质量保证委员会", K.COMMITTEE, "college"),
    ("jwc", "教务处", K.OFFICE, "college"),
    ("xsc", "学生处", K.OFFICE, "college"),
    ("rsc", "组织人事处", K.OFFICE, "college"),
    ("jdpj", "教育质量监督评价中心", K.OFFICE, "college"),
    ("zgb", "质量管理办公室", K.OFFICE, "jdpj"),
    ("jw", "纪委办公室", K.OFFICE, "college"),
    ("xxzx", "信息中心", K.OFFICE, "college"),
    ("zsjy", "招生就业处", K.OFFICE, "college"),
    ("zwc", "总务处", K.OFFICE, "college"),
]
DEPARTMENTS = {
    ("xx", "信息工程系"): {
        ("rj", "软件技术"): ["Python程序设计", "Web前端开发", "数据库应用技术"],
        ("wl", "计算机网络技术"): ["网络设备配置与管理", "网络安全技术", "Linux操作系统"],
        ("dsj", "大数据技术"): ["数据采集与预处理", "Hadoop平台应用"],
    },
    ("jd", "机电工程系"): {
        ("jdyt", "机电一体化技术"): ["电工电子技术", "PLC应用技术", "液压与气动技术"],
        ("gyjqr", "工业机器人技术"): ["工业机器人编程", "传感器与检测技术"],
    },
    ("jg", "经济管理系"): {
        ("dzsw", "电子商务"): ["网店运营", "电子商务概论"],
        ("kj", "会计"): ["基础会计", "财务管理", "税法"],
        ("scyx", "市场营销"): ["市场调查与预测", "推销技巧"],
    },
    ("jz", "建筑工程系"): {
        ("jzgc", "建筑工程技术"): ["建筑制图", "建筑施工技术"],
        ("gczj", "工程造价"): ["建筑工程计量与计价", "工程招投标"],
    },
}

# username, full name, [(role, unit code)], staff flags
PEOPLE = [
    ("chair", "王建国", [(Role.COMMITTEE_CHAIR, "qac")]),
    ("committee", "李华", [(Role.COMMITTEE_MEMBER, "qac")]),
    ("zgb", "张敏", [(Role.QUALITY_OFFICER, "zgb")]),
    ("jwc_leader", "林涛", [(Role.DEPARTMENT_LEADER, "jwc")]),
    ("xx_leader", "刘伟", [(Role.DEPARTMENT_LEADER, "xx")]),
    ("xx_member", "黄丽", [(Role.DEPARTMENT_MEMBER, "xx"), (Role.TEACHER, "xx")]),
    ("jd_leader", "陈刚", [(Role.DEPARTMENT_LEADER, "jd")]),
    ("jg_leader", "杨静", [(Role.DEPARTMENT_LEADER, "jg")]),
    ("rj_leader", "赵磊", [(Role.TEAM_LEADER, "rj"), (Role.TEACHER, "rj")]),
    ("rj_member", "何燕", [(Role.TEAM_MEMBER, "rj"), (Role.TEACHER, "rj")]),
    ("dudao", "孙丽", [(Role.SUPERVISOR, "jdpj")]),
    ("jiwei", "周强", [(Role.DISCIPLINE_OFFICER, "jw")]),
    ("teacher", "吴芳", [(Role.TEACHER, "rj")]),
    ("jd_teacher", "马超", [(Role.TEACHER, "jdyt")]),
    ("student", "郑小明", [(Role.STUDENT, "rj")]),
    ("adviser", "钱老师", [(Role.CLASS_ADVISER, "rj"), (Role.TEACHER, "rj")]),
    ("expert", "冯教授", [(Role.EXTERNAL_EXPERT, "college")]),
    ("admin", "系统管理员", [(Role.SYSTEM_ADMIN, "xxzx")]),
]


def _unit(code, name, kind, parent=None):
    existing = OrgUnit.objects.filter(code=code).first()
    if existing:
        return existing
    if parent is None:
        return OrgUnit.objects.add_root(create_kwargs={"code": code, "name": name, "kind": kind})
    return OrgUnit.objects.add_child(
        parent, create_kwargs={"code": code, "name": name, "kind": kind}
    )


@transaction.atomic
def seed_demo() -> dict:
    """Create the demo college. Re-running creates nothing twice."""
    before = (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count())
    units = {COLLEGE[0]: _unit(COLLEGE[0], COLLEGE[1], K.COLLEGE)}
    for code, name, kind, parent in UNITS:
        units[code] = _unit(code, name, kind, OrgUnit.objects.get(pk=units[parent].pk))
    for (dcode, dname), majors in DEPARTMENTS.items():
        units[dcode] = _unit(
            dcode, dname, K.DEPARTMENT, OrgUnit.objects.get(pk=units["college"].pk)
        )
        for (mcode, mname), courses in majors.items():
            units[mcode] = _unit(mcode, mname, K.MAJOR, OrgUnit.objects.get(pk=units[dcode].pk))
            for i, cname in enumerate(courses, start=1):
                ccode = f"{mcode}-c{i:02d}"
                units[ccode] = _unit(
                    ccode, cname, K.COURSE, OrgUnit.objects.get(pk=units[mcode].pk)
                )
    password = make_password(DEMO_PASSWORD)
    for username, full_name, memberships in PEOPLE:
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "password": password,
                "email": f"{username}@demo.edu.cn",
                "staff_no": username,
            },
        )
        if not user.staff_no:
            # a demo seeded before staff numbers: the local CAS server sends this number
            user.staff_no = username
            user.save(update_fields=["staff_no"])
        if username == "admin" and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        for role, unit_code in memberships:
            Membership.objects.get_or_create(user=user, org_unit=units[unit_code], role=role)
    after = (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count())
    return {
        "units": after[0] - before[0],
        "users": after[1] - before[1],
        "memberships": after[2] - before[2],
    }


def seed_scale(factor: int, batch_size: int = 5000) -> dict:
    """Bulk-create `factor` extra departments (3 majors × 4 courses each) and 1,000 people per
    department, for benchmarks. Paths are computed here, not by treebeard one insert at a time."""
    college = OrgUnit.objects.get_root_nodes().first()
    existing = OrgUnit.objects.filter(code__startswith="scale-d", kind=K.DEPARTMENT).count()
    password = make_password(DEMO_PASSWORD)
    created_units = created_users = 0
    with transaction.atomic():
        college = OrgUnit.objects.select_for_update().get(pk=college.pk)
        last_child = OrgUnit.objects.get_last_child(college)
        next_step = OrgUnit._str2int(last_child.path[-OrgUnit.steplen :]) + 1 if last_child else 1
        new_units = []
        for d in range(existing, existing + factor):
            dpath = college.path + OrgUnit._int2str(next_step).rjust(OrgUnit.steplen, "0")
            next_step += 1
            new_units.append(
                OrgUnit(
                    code=f"scale-d{d:05d}",
                    name=f"扩展系{d + 1}",
                    kind=K.DEPARTMENT,
                    path=dpath,
                    depth=2,
                    numchild=3,
                )
            )
            for m in range(1, 4):
                mpath = dpath + OrgUnit._int2str(m).rjust(OrgUnit.steplen, "0")
                new_units.append(
                    OrgUnit(
                        code=f"scale-d{d:05d}-m{m}",
                        name=f"扩展系{d + 1}专业{m}",
                        kind=K.MAJOR,
                        path=mpath,
                        depth=3,
                        numchild=4,
                    )
                )
                for c in range(1, 5):
                    new_units.append(
                        OrgUnit(
                            code=f"scale-d{d:05d}-m{m}-c{c}",
                            name=f"扩展系{d + 1}专业{m}课程{c}",
                            kind=K.COURSE,
                            path=mpath + OrgUnit._int2str(c).rjust(OrgUnit.steplen, "0"),
                            depth=4,
                            numchild=0,
                        )
                    )
        OrgUnit.objects.bulk_create(new_units, batch_size=batch_size)
        OrgUnit.objects.filter(pk=college.pk).update(numchild=college.numchild + factor)
        created_units = len(new_units)
    units = {u.code: u.pk for u in OrgUnit.objects.filter(code__startswith="scale-d").only("code")}
    for d in range(existing, existing + factor):
        with transaction.atomic():
            users = []
            roles = []
            for n in range(1000):
                username = f"s{d:05d}u{n:04d}"
                if n < 50:
                    unit_code, role = f"scale-d{d:05d}", Role.TEACHER
                else:
                    unit_code, role = f"scale-d{d:05d}-m{n % 3 + 1}", Role.STUDENT
                users.append(
                    User(
                        username=username,
                        full_name=f"用户{d}-{n}",
                        password=password,
                        staff_no=username,
                    )
                )
                roles.append((username, units[unit_code], role))
            User.objects.bulk_create(users, batch_size=batch_size)
            ids = dict(
                User.objects.filter(username__startswith=f"s{d:05d}u").values_list("username", "id")
            )
            Membership.objects.bulk_create(
                [
                    Membership(user_id=ids[u], org_unit_id=unit_id, role=role)
                    for u, unit_id, role in roles
                ],
                batch_size=batch_size,
            )
            created_users += len(users)
    return {"units": created_units, "users": created_users}
