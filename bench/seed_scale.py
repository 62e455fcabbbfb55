"""Time `seed_demo --scale N` (N departments × 1,000 people) on the configured database.

    DATABASE_URL=postgres://... python bench/seed_scale.py [N]     (default N=100: 100,000 people)

Prints the people created, total seconds and people per second. Each run adds N more
departments, so run it on a throw-away database.
"""

import os
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import Membership, OrgUnit, User  # noqa: E402


def main() -> None:
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    _setup.begin("none: absolute people per second of one `seed_demo --scale` run")
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    before = (User.objects.count(), OrgUnit.objects.count(), Membership.objects.count())
    started = time.perf_counter()
    call_command("seed_demo", "--scale", str(scale), stdout=StringIO())
    seconds = time.perf_counter() - started
    users = User.objects.count() - before[0]
    units = OrgUnit.objects.count() - before[1]
    memberships = Membership.objects.count() - before[2]
    print(f"seed_demo --scale {scale} on {engine}")
    print(f"  people created:      {users:>9,}")
    print(f"  memberships created: {memberships:>9,}")
    print(f"  org units created:   {units:>9,}")
    print(f"  total seconds:       {seconds:>9.1f}")
    print(f"  people per second:   {users / seconds:>9,.0f}")


if __name__ == "__main__":
    main()
