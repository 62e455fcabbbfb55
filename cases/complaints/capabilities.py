from accounts.models import Role as R

OVERSEE = "case.oversee"  # the cases app's capability: every complaint, read-only
SUPERVISE = "complaint.supervise"  # issue a supervision request (督办)

CAPABILITIES = {R.DISCIPLINE_OFFICER: {SUPERVISE}}
