"""Write the thin report notebooks (run once; then edit the .ipynb files in Jupyter as usual).

Each notebook: a `parameters` cell papermill overrides, a setup cell, then one cell per
section that only shows what src/scoring/report.py builds.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def notebook(doc: str, parameters: str, setup: str, sections: list[str]) -> nbformat.NotebookNode:
    cells = [new_markdown_cell(doc),
             new_code_cell(parameters, metadata={"tags": ["parameters"]}),
             new_code_cell(setup)]
    cells += [new_code_cell(f"display(*{section})") for section in sections]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


COMMON = '''# Parameters: papermill injects a cell below this one for each run.
root = None  # project folder (None: $CREDIT_COUNTY_ROOT, else the folder above notebooks/)
month = "2019-12"  # YYYY-MM
index_file = None  # an alternative index (other methods or weights) instead of params/index.yaml
weights_file = None  # alternative weights to try without editing params/ (docs/sensitivity.md)
sensitivity_file = None  # outputs/YYYY-MM/sensitivity.csv from the same run, if any
context_file = None  # the month already scored by the bulletin in the same run, if any
'''

UNIT = notebook(
    "# 县区月度报告\n\nThin notebook: every number comes from `scoring` (see `src/scoring/report.py`).",
    COMMON + 'unit = "lanshan"  # a unit code from params/units.yaml\n',
    "from IPython.display import display\n\nfrom scoring.report import sections as report\n\n"
    "ctx = report.load_month(root, month, index_file, sensitivity_file, weights_file, context_file)\n"
    "unit_report = report.UnitReport(ctx, unit)",
    ["unit_report.header()", "unit_report.key_figures()", "unit_report.narrative()", "unit_report.categories()",
     "unit_report.strengths_weaknesses()", "unit_report.trend()", "unit_report.indicator_table()",
     "unit_report.problem_list()", "unit_report.progress()", "unit_report.movement_list()", "unit_report.provenance()"],
)

CITY = notebook(
    "# 全市月度通报\n\nThin notebook: every number comes from `scoring` (see `src/scoring/report.py`).",
    COMMON,
    "from IPython.display import display\n\nfrom scoring.report import sections as report\n\n"
    "ctx = report.load_month(root, month, index_file, sensitivity_file, weights_file, context_file)\n"
    "city = report.CityReport(ctx)",
    ["city.header()", "city.narrative()", "city.ranking()", "city.heatmap()", "city.distribution()",
     "city.leaders_and_movers()", "city.progress()", "city.method()", "city.provenance()"],
)

SENSITIVITY = notebook(
    "# 权重敏感性分析\n\nThin notebook: the analysis is `scoring.sensitivity`; settings in `params/sensitivity.yaml`.",
    COMMON + "draws = None  # Monte Carlo draws per scenario family (None: params/sensitivity.yaml)\n"
    "weight_range = None  # ± share of each weight, e.g. 0.25 (None: params/sensitivity.yaml)\n"
    "seed = None  # random seed (None: params/sensitivity.yaml)\n",
    "from IPython.display import display\n\nfrom scoring.report import sections as report\n\n"
    "ctx = report.load_month(root, month, index_file, sensitivity_file, weights_file, context_file)\n"
    "analysis = report.SensitivityReport(ctx, draws=draws, weight_range=weight_range, seed=seed)",
    ["analysis.header()", "analysis.narrative()", "analysis.intervals()", "analysis.sobol_chart()",
     "analysis.scenarios()", "analysis.remove_one_table()", "analysis.provenance()"],
)

REVIEW = notebook(
    "# 年度总结验收\n\nThin notebook: the rules are `params/review.yaml`, the computation `scoring.review`.",
    "# Parameters: papermill injects a cell below this one for each run.\n"
    "root = None  # project folder (None: $CREDIT_COUNTY_ROOT, else the folder above notebooks/)\n"
    "year = 2019  # the acceptance year\n",
    "from IPython.display import display\n\nfrom scoring.report import sections as report\n\n"
    "acceptance = report.ReviewReport.load(root, year)",
    ["acceptance.header()", "acceptance.narrative()", "acceptance.results()", "acceptance.reviewers()",
     "acceptance.register()", "acceptance.provenance()"],
)

if __name__ == "__main__":
    nbformat.write(REVIEW, HERE / "annual_review.ipynb")
    nbformat.write(SENSITIVITY, HERE / "sensitivity.ipynb")
    nbformat.write(UNIT, HERE / "county_report.ipynb")
    nbformat.write(CITY, HERE / "city_bulletin.ipynb")
