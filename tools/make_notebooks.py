"""The single source of the thin report notebooks: edit them here, not in Jupyter.

Each notebook: a `parameters` cell papermill overrides, a setup cell that loads the stage
tables, then one cell per section that only shows what `scoring.report` builds.

    .venv/bin/python tools/make_notebooks.py           # write notebooks/*.ipynb (no outputs)
    .venv/bin/python tools/refresh_notebook_outputs.py # store outputs on the demo data (for nbval)
    .venv/bin/python tools/make_notebooks.py --check   # exit 1 when a notebook differs from this file
"""

from __future__ import annotations

import sys
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
tables = None  # the month's stage tables (None: outputs/YYYY-MM); the bulletin passes its build folder
index_file = None  # try another index: the score stage runs into outputs/trials/, the report says 试算
weights_file = None  # try other weights the same way, without editing params/ (docs/sensitivity.md)
'''

LOAD = ("from IPython.display import display\n\nfrom scoring import report\n\n"
        "ctx = report.load(month, tables, root, index_file=index_file, weights_file=weights_file{extra})\n")

UNIT = notebook(
    "# 县区月度报告\n\nThin notebook: every number comes from the month's stage tables (`scoring.report`).",
    COMMON + 'unit = "lanshan"  # a unit code from params/units.yaml\n',
    LOAD.format(extra="") + "unit_report = report.UnitReport(ctx, unit)",
    ["unit_report.header()", "unit_report.key_figures()", "unit_report.narrative()", "unit_report.categories()",
     "unit_report.strengths_weaknesses()", "unit_report.trend()", "unit_report.year_on_year()",
     "unit_report.indicator_table()",
     "unit_report.metric_table()", "unit_report.problem_list()", "unit_report.progress()",
     "unit_report.movement_list()", "unit_report.provenance()"],
)

CITY = notebook(
    "# 全市月度通报\n\nThin notebook: every number comes from the month's stage tables (`scoring.report`).",
    COMMON,
    LOAD.format(extra="") + "city = report.CityReport(ctx)",
    ["city.header()", "city.masthead()", "city.title()", "city.addressees()", "city.overview()", "city.ranking()",
     "city.problems()", "city.next_steps()", "city.annex_list()", "city.signature()", "city.provenance()",
     "city.annex_ranking()", "city.distribution()", "city.annex_indicators()", "city.heatmap()",
     "city.annex_robustness()", "city.imprint()"],
)

SENSITIVITY = notebook(
    "# 权重敏感性分析\n\nThin notebook: the analysis is the score stage's (`scoring.analysis.sensitivity`); "
    "settings in `params/sensitivity.yaml`.",
    COMMON + "draws = None  # Monte Carlo draws per scenario family (None: params/sensitivity.yaml)\n"
    "weight_range = None  # ± share of each weight, e.g. 0.25 (None: params/sensitivity.yaml)\n"
    "seed = None  # random seed (None: params/sensitivity.yaml)\n",
    LOAD.format(extra=", draws=draws, weight_range=weight_range, seed=seed")
    + "analysis = report.SensitivityReport(ctx)",
    ["analysis.header()", "analysis.narrative()", "analysis.intervals()", "analysis.sobol_chart()",
     "analysis.scenarios()", "analysis.remove_one_table()", "analysis.provenance()"],
)

REVIEW = notebook(
    "# 年度总结验收\n\nThin notebook: the rules are `params/review.yaml`, the tables the review stage's.",
    "# Parameters: papermill injects a cell below this one for each run.\n"
    "root = None  # project folder (None: $CREDIT_COUNTY_ROOT, else the folder above notebooks/)\n"
    "year = 2019  # the acceptance year\n"
    "tables = None  # the year's acceptance tables (None: outputs/YYYY); `credit-county review` passes its build\n",
    "from IPython.display import display\n\nfrom scoring import report\n\n"
    "acceptance = report.ReviewReport(report.load_year(year, tables, root))",
    ["acceptance.header()", "acceptance.narrative()", "acceptance.results()", "acceptance.reviewers()",
     "acceptance.register()", "acceptance.provenance()"],
)

NOTEBOOKS = {"annual_review.ipynb": REVIEW, "sensitivity.ipynb": SENSITIVITY, "county_report.ipynb": UNIT,
             "city_bulletin.ipynb": CITY}


def cells_of(nb: nbformat.NotebookNode) -> list[tuple[str, str, str, list[str]]]:
    """What this tool decides about a notebook: each cell's id, type, source and tags (not outputs)."""
    return [(c.get("id", ""), c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def main(argv: list[str]) -> int:
    """Write the notebooks (dropping stored outputs), or with --check say which differ from this file."""
    if "--check" in argv:
        stale = [name for name, nb in NOTEBOOKS.items()
                 if cells_of(nbformat.read(HERE / name, as_version=4)) != cells_of(nb)]
        for name in stale:
            print(f"notebooks/{name} differs from tools/make_notebooks.py: run it, then "
                  "tools/refresh_notebook_outputs.py")
        return 1 if stale else 0
    for name, nb in NOTEBOOKS.items():
        nbformat.write(nb, HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
