"""Demo: the shipped profiles and one import of the small sample table (fixtures/), previewed
and confirmed by the quality office as on its pages. Running it twice imports nothing twice."""

from pathlib import Path

from django.core.files import File

from accounts.models import User

from . import services
from .models import Profile, Upload
from .profiles import load_profiles

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "zyzs_sample.xlsx"


def seed() -> dict:
    created = load_profiles()
    officer = User.objects.filter(username="zgb").first()
    if officer is None:
        raise ValueError("seed the demo college first (seed_demo)")
    profile = Profile.objects.get(code="zyzs")
    upload = Upload.objects.filter(profile=profile, file_name=SAMPLE.name).first()
    if upload is None:
        with SAMPLE.open("rb") as handle:
            upload = services.upload_preview(
                actor=officer, profile=profile, file=File(handle, name=SAMPLE.name)
            )
    upload.refresh_from_db()
    if services.upload_state(upload) == "previewed":
        services.upload_confirm(actor=officer, upload=upload)
    return {
        "profiles": created,
        "uploads": Upload.objects.count(),
    }
