"""Figures of a period from the records store, for the officers' console and `trolyao report`.

    compute(engine, day_from, day_to) -> Figures     every figure (trolyao.reports.figures)
    write_report(figures, fmt, path, title)           md, xlsx or pdf (trolyao.reports.render;
                                                      imports matplotlib/openpyxl on use)
"""

from trolyao.reports.figures import Figures, compute, default_period, period_name, summary_rows

__all__ = ["Figures", "compute", "default_period", "period_name", "summary_rows"]
