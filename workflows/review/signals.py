"""Signals other features subscribe to.

`review_concluded` is sent after the transaction that signed a conclusion commits, with
round, report, conclusion (the ReviewConclusion) and non_matching (the ConsolidatedFinding
rows that did not match). The monitoring feature turns those into improvement-ledger items.
"""

from django.dispatch import Signal

review_concluded = Signal()
