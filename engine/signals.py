from django.dispatch import Signal

# Sent after each reminder/escalation step of a deadline: kwargs deadline, level.
deadline_escalated = Signal()
