"""Figures of a period from the records store, for the officers' console and `trolyao report`.

compute(engine, day_from, day_to) -> Figures     every figure (tthc.reports.figures)
unanswered                                       grouping of unanswered questions
"""

from tthc.reports.figures import Figures, compute, default_period, period_name, summary_items, summary_rows

__all__ = ["Figures", "compute", "default_period", "period_name", "summary_items", "summary_rows"]
