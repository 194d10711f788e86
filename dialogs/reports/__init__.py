"""Managers' monthly reports (月度分析): pure computation of the month's figures and their tables.

The figures come from tickets and their events only (the audit trail is the single source), so a report
of a past month computed today is the one computed on the first working day after it. Rendering (xlsx,
charts) belongs to the shell (`bot/reports/`); this package hands it localised tables.
"""
