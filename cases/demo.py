"""Demo activity for cases: complaints in every state of the lifecycle, incident reports at
several stages, an anonymous complaint, a supervision request (督办) waiting for its answer and
confidential reports (举报) at several stages of the discipline office's track.

Everything goes through the services as the demo people would click it, so audit rows, FSM logs,
deadlines, notifications and process tasks are those of real use. Running it twice changes
nothing: cases carry a fixed idempotency key, the walks only move forward, and the rest is looked
up before it is made."""

import uuid

from django.db import transaction

from accounts.models import OrgUnit, User

from . import services
from .complaints import services as complaints
from .confidential import services as confidential
from .confidential.models import Report
from .confidential.models import Subject as ReportSubject
from .models import Case, Category, Grade
from .models import Status as S

ORDER = [
    S.SUBMITTED,
    S.ACCEPTED,
    S.CLASSIFIED,
    S.INVESTIGATING,
    S.AWAITING_APPROVAL,
    S.DETERMINED,
    S.RECTIFYING,
    S.VERIFYING,
    S.RECTIFIED,
    S.FEEDBACK,
    S.CLOSED,
]

# key, kind, filer, subject unit, title, description, state it is brought to
COMPLAINT, REPORT = Case.Kind.COMPLAINT, Case.Kind.REPORT
CASES = [
    (
        "c01",
        COMPLAINT,
        "student",
        "rj-c01",
        "Python程序设计课调课未通知",
        "本周二的课临时调走，班级群里没有任何通知，全班白等了一节课。",
        S.SUBMITTED,
    ),
    (
        "c02",
        COMPLAINT,
        "student",
        "rj-c02",
        "实训室电脑无法开机",
        "Web前端开发实训室有八台电脑无法开机，两人共用一台。",
        S.WITHDRAWN,
    ),
    (
        "c03",
        COMPLAINT,
        "jd_teacher",
        "zwc",
        "食堂就餐排队时间过长",
        "午餐高峰排队超过二十分钟，影响下午第一节课。",
        S.REFUSED,
    ),
    (
        "c04",
        COMPLAINT,
        "student",
        "wl",
        "网络技术专业实训课时被压缩",
        "本学期实训课时比人才培养方案少了十六课时。",
        S.ACCEPTED,
    ),
    (
        "c05",
        COMPLAINT,
        "teacher",
        "dsj",
        "大数据实训平台账号迟迟未开通",
        "开学三周，学生仍无法登录实训平台。",
        S.CLASSIFIED,
    ),
    (
        "c06",
        COMPLAINT,
        "student",
        "rj-c03",
        "数据库课作业批改不及时",
        "数据库应用技术课的作业一个多月没有批改反馈。",
        S.INVESTIGATING,
    ),
    (
        "c07",
        COMPLAINT,
        "student",
        "rj",
        "期末考试试卷与考纲严重不符",
        "软件技术专业期末考试近半数题目超出考纲范围。",
        S.AWAITING_APPROVAL,
    ),
    (
        "c08",
        COMPLAINT,
        "teacher",
        "wl-c01",
        "网络设备实训耗材不足",
        "网络设备配置课的跳线和模块长期短缺。",
        S.DETERMINED,
    ),
    (
        "c09",
        COMPLAINT,
        "student",
        "rj-c01",
        "任课教师多次迟到",
        "Python程序设计课教师本月三次迟到十分钟以上。",
        S.RECTIFYING,
    ),
    (
        "c10",
        COMPLAINT,
        "student",
        "rj-c02",
        "课堂纪律管理松散",
        "Web前端开发课堂上玩手机的现象无人制止。",
        S.VERIFYING,
    ),
    (
        "c11",
        COMPLAINT,
        "teacher",
        "dsj-c01",
        "实训教材版本过旧",
        "数据采集与预处理课使用的教材为五年前版本。",
        S.RECTIFIED,
    ),
    (
        "c12",
        COMPLAINT,
        "student",
        "wl-c02",
        "网络安全课实验环境不稳定",
        "实验环境频繁断线，实验无法按时完成。",
        S.FEEDBACK,
    ),
    (
        "c13",
        COMPLAINT,
        "student",
        "rj-c03",
        "成绩录入错误未及时更正",
        "数据库应用技术课平时成绩录入错误，两周后才更正。",
        S.CLOSED,
    ),
    (
        "c14",
        COMPLAINT,
        "student",
        "kj-c01",
        "基础会计课实训账册发放延迟",
        "开课四周仍未发放实训账册，练习无法进行。",
        S.SUBMITTED,
    ),
    (
        "r01",
        REPORT,
        "dudao",
        "rj-c01",
        "Python程序设计课堂到课率偏低",
        "督导听课时到课率不足七成。",
        S.SUBMITTED,
    ),
    (
        "r02",
        REPORT,
        "dudao",
        "wl-c03",
        "Linux操作系统课教案缺失",
        "督导检查时任课教师无法提供本周教案。",
        S.INVESTIGATING,
    ),
    (
        "r03",
        REPORT,
        "dudao",
        "rj-c02",
        "Web前端开发课提前下课",
        "督导巡课发现提前十五分钟下课。",
        S.RECTIFYING,
    ),
    (
        "r04",
        REPORT,
        "dudao",
        "dsj-c02",
        "Hadoop平台应用课教师未按课表上课",
        "课表为实训室上课，实际在普通教室讲授。",
        S.CLOSED,
    ),
]
SEVERE = {"c07"}  # determined 严重: the committee approves the determination

SUPERVISED = "c04"
ANONYMOUS_TITLE = "宿舍区网络晚间频繁断网"

# subject, whom or what it is about, description, named filer (None: anonymous), steps taken
REPORTS = [
    (
        ReportSubject.FUNDS,
        "某系实训耗材采购",
        "实训耗材采购单价明显高于市场价，疑似虚报。",
        None,
        [],
    ),
    (
        ReportSubject.FALSIFICATION,
        "某专业自我诊改报告",
        "自诊报告中就业率数据与实际不符。",
        "teacher",
        ["start_check"],
    ),
    (
        ReportSubject.EXPERTS,
        "专家聘请",
        "复核专家与被复核单位存在合作关系未申报。",
        None,
        ["start_check", "decline"],
    ),
    (
        ReportSubject.CONDUCT,
        "某处室工作人员",
        "办理学生证明时多次推诿。",
        "jd_teacher",
        ["start_check", "file_case", "investigate"],
    ),
    (
        ReportSubject.OTHER,
        "教材选用",
        "教材选用过程未按规定公示。",
        None,
        [
            "start_check",
            "file_case",
            "investigate",
            "conclude",
            "handle",
            "answer_reporter",
            "close",
        ],
    ),
]
TEXTS = {
    "decline": "经初核，未发现违纪线索，不予立案。",
    "conclude": "经调查，反映的问题基本属实。",
    "handle": "已责成相关部门整改，并对责任人进行提醒谈话。",
    "answer_reporter": "您反映的问题已调查处理，感谢监督。",
}

PEOPLE = [
    "student",
    "teacher",
    "jd_teacher",
    "dudao",
    "xx_leader",
    "jd_leader",
    "jg_leader",
    "xx_member",
    "rj_leader",
    "chair",
    "zgb",
    "jiwei",
]


def _key(key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"zhengai-demo-case:{key}")


LEADERS = {"xx": "xx_leader", "jd": "jd_leader", "jg": "jg_leader"}


def _body(people, case: Case):
    """Who acts for the accepting body: the department's leader, else the quality office."""
    return people[LEADERS.get(case.accepting_unit.code, "zgb")]


def _walk(people, case: Case, to, *, severe: bool) -> None:
    category = Category.objects.get(name="课堂教学", parent__isnull=False)
    grade = Grade.objects.get(name="严重" if severe else "一般")
    # the professional team of 软件技术 rectifies: its leader is a demo login
    responsible = OrgUnit.objects.get(code="rj")
    while case.status in ORDER and ORDER.index(case.status) < ORDER.index(to):
        status = case.status
        body = _body(people, case)  # a severe grade sends the case up to the college's body
        if status == S.SUBMITTED:
            services.case_accept(actor=body, case=case)
        elif status == S.ACCEPTED:
            services.case_classify(actor=body, case=case, category=category, grade=grade)
        elif status == S.CLASSIFIED:
            services.case_start_investigation(
                actor=body, case=case, investigators=[people["xx_member"]]
            )
        elif status == S.INVESTIGATING:
            services.case_determine(
                actor=body,
                case=case,
                grade=grade,
                responsible_unit=responsible,
                responsible_person="任课教师",
                findings="经调查，反映的情况属实。",
            )
        elif status == S.AWAITING_APPROVAL:
            # the committee votes until its majority has approved
            for member in ("chair", "committee"):
                case = services.case_committee_vote(actor=people[member], case=case, approve=True)
                if case.status != S.AWAITING_APPROVAL:
                    break
        elif status == S.DETERMINED:
            services.notice_issue(
                actor=body,
                case=case,
                facts=case.findings or case.description,
                requirements="十个工作日内完成整改并提交整改报告。",
            )
        elif status == S.RECTIFYING:
            notice = case.notices.last()
            services.notice_confirm_receipt(actor=people["rj_leader"], notice=notice)
            services.notice_submit_report(
                actor=people["rj_leader"], notice=notice, text="已约谈相关教师，完成整改。"
            )
        elif status == S.VERIFYING:
            services.notice_verify(actor=body, notice=case.notices.last(), accept=True)
        elif status == S.RECTIFIED:
            services.case_give_feedback(actor=body, case=case, outcome="问题已整改到位。")
        elif status == S.FEEDBACK:
            services.case_rate(actor=case.reporter, case=case, satisfaction=4, comment="处理及时")
        case = Case.objects.get(pk=case.pk)
        if case.status == status:
            raise RuntimeError(f"demo case {case.number} did not move on from {status}")


def _cases(people, units) -> None:
    for (
        key,
        kind,
        filer,
        unit_code,
        title,
        description,
        to,
    ) in CASES:
        with transaction.atomic():
            case = services.case_file(
                actor=people[filer],
                kind=kind,
                title=title,
                description=description,
                subject_unit=units[unit_code],
                idempotency_key=_key(key),
                **({"source": Case.Source.INSPECTION} if kind == REPORT else {}),
            )
            if case.status != S.SUBMITTED:
                continue
            if to == S.WITHDRAWN:
                services.case_withdraw(actor=people[filer], case=case, reason="问题已自行解决")
            elif to == S.REFUSED:
                services.case_refuse(
                    actor=_body(people, case),
                    case=case,
                    reason="不属于教学质量投诉受理范围，请向后勤服务热线反映。",
                )
            else:
                _walk(people, case, to, severe=key in SEVERE)
                if to == S.AWAITING_APPROVAL:
                    # the committee's vote under way: the chair approved, 李华 is awaited
                    services.case_committee_vote(
                        actor=people["chair"], case=case, approve=True, comment="同意认定。"
                    )
    supervised = Case.objects.get(idempotency_key=_key(SUPERVISED))
    if not supervised.supervisions.exists():
        complaints.supervision_issue(
            actor=people["jiwei"],
            case=supervised,
            request="请尽快核实实训课时问题，并书面答复处理意见。",
        )
    if not Case.objects.filter(title=ANONYMOUS_TITLE).exists():
        complaints.complaint_file_anonymous(
            title=ANONYMOUS_TITLE,
            description="每晚十点后宿舍区网络频繁断开，影响在线学习。",
            subject_unit=units["xxzx"],
        )


def _reports(people) -> None:
    for subject, about, description, filer, steps in REPORTS:
        if Report.objects.filter(description=description).exists():
            continue
        with transaction.atomic():
            report, _code = confidential.report_file(
                actor=people[filer] if filer else None,
                subject=subject,
                about=about,
                description=description,
                anonymous=filer is None,
            )
            for action in steps:
                report = confidential.report_advance(
                    actor=people["jiwei"], report=report, action=action, text=TEXTS.get(action, "")
                )


def seed() -> dict:
    people = {u.username: u for u in User.objects.filter(username__in=PEOPLE)}
    if set(people) != set(PEOPLE) or not Grade.objects.exists():
        raise ValueError("seed the demo college first (seed_demo)")
    codes = {c[3] for c in CASES} | {"xxzx"}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    _cases(people, units)
    _reports(people)
    return {
        "cases": Case.objects.count(),
        "states": Case.objects.values("status").distinct().count(),
        "confidential reports": Report.objects.count(),
    }
