"""The reports as display objects, read from the stage tables of a month (or a year).

A notebook loads the context once and shows one section per cell:

    from scoring import report
    ctx = report.load(month, tables)            # outputs/M, a build folder, or a trial
    unit_report = report.UnitReport(ctx, unit)
    display(*unit_report.key_figures())
"""

from scoring.report.city import CityReport
from scoring.report.context import MonthContext, load
from scoring.report.review import ReviewReport, load_year
from scoring.report.sensitivity import SensitivityReport
from scoring.report.unit import UnitReport

__all__ = ["CityReport", "MonthContext", "ReviewReport", "SensitivityReport", "UnitReport", "load", "load_year"]
