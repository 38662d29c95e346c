"""`trolyao report`: the period report rendered as md, xlsx or pdf (trolyao.reports.render).

The figures themselves are computed in the domain layer (tthc.reports).
"""
