from django.urls import reverse

from cases.complaints import services
from tests.cases.confidential.factories import solved_challenge


def file_anonymous(unit, *, title="食堂卫生差", description="饭菜里有异物。", uploads=()):
    return services.complaint_file_anonymous(
        title=title, description=description, subject_unit=unit, uploads=uploads
    )


def post_complaint(client, unit, **extra):
    data = {
        "title": "实训课经常取消",
        "subject_unit": unit.pk,
        "description": "本学期实训课已取消三次。",
        **solved_challenge(),
        **extra,
    }
    return client.post(
        reverse("complaints:file"), data, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Probe/2.0"
    )
