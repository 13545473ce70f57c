"""The monthly job end to end on the demo data: every file, every number as the engine computed it,
failure isolation and the whole-month swap."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from scoring import engine
from scoring.cli import main
from scoring.pipeline.score import load_spec, read_metrics

from .conftest import DEMO_MONTH, copy_project

pytestmark = pytest.mark.slow


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def engine_month(project, month: str) -> pd.DataFrame:
    """The engine's summary of one month, computed here from data/processed (not from the outputs)."""
    params = load_spec(project)
    return engine.summarise(*params, engine.score(*params, read_metrics(project, month, params)))


@pytest.fixture(scope="module")
def engine_summary(built_month) -> pd.DataFrame:
    return engine_month(built_month, DEMO_MONTH)


def test_every_expected_file_exists(built_month):
    out = built_month.output_month(DEMO_MONTH)
    expected = ["index.html", "bulletin.html", "bulletin.pdf", "sensitivity.html", "sensitivity.pdf",
                "scores.csv", "points.csv", "sensitivity.csv", "sensitivity_sobol.csv",
                "sensitivity_scenarios.csv", "sensitivity_remove_one.csv", "provenance.json",
                "notebooks/bulletin.ipynb", "notebooks/sensitivity.ipynb"]
    expected += ["bulletin.docx", "sensitivity.docx", "通报数据.xlsx", "stage.json", "index.yaml"]
    for unit in load_spec(built_month)[1].codes:
        expected += [f"units/{unit}.html", f"units/{unit}.pdf", f"units/{unit}.docx", f"notebooks/units/{unit}.ipynb"]
    missing = [name for name in expected if not (out / name).is_file()]
    assert missing == []
    assert not (out.parent / f"{DEMO_MONTH}.failed").exists()
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary build folder left behind


def test_scores_csv_is_the_engine_summary(built_month, engine_summary):
    scores = pd.read_csv(built_month.output_month(DEMO_MONTH) / "scores.csv")
    assert scores["unit"].tolist() == engine_summary["unit"].tolist()
    assert scores["total"].tolist() == engine_summary["total"].tolist()  # full precision, bit for bit
    assert scores["rank"].tolist() == engine_summary["rank"].tolist()


def test_bulletin_html_and_pdf_show_every_unit_with_its_total(built_month, engine_summary):
    out = built_month.output_month(DEMO_MONTH)
    html = (out / "bulletin.html").read_text(encoding="utf-8")
    pdf = pdf_text(out / "bulletin.pdf")
    for row in engine_summary.itertuples():
        shown = f"{row.total:.2f}"
        assert row.name in html and shown in html, (row.unit, shown)
        assert row.name in pdf and shown in pdf, (row.unit, shown)


def test_each_unit_report_shows_its_name_total_and_rank(built_month, engine_summary):
    out = built_month.output_month(DEMO_MONTH)
    for row in engine_summary.itertuples():
        html = (out / "units" / f"{row.unit}.html").read_text(encoding="utf-8")
        pdf = pdf_text(out / "units" / f"{row.unit}.pdf")
        sentence = f"得分{row.total:.2f}分（满分150分），在全市16个县区中排名第{row.rank}位"
        assert row.name in html and sentence in html, row.unit
        assert row.name in pdf and f"{row.total:.2f}" in pdf, row.unit


def test_demo_reports_are_marked_synthetic_on_every_page(built_month):
    out = built_month.output_month(DEMO_MONTH)
    reader = PdfReader(str(out / "units" / "lanshan.pdf"))
    assert len(reader.pages) >= 2
    assert all("示例数据" in page.extract_text() for page in reader.pages)
    assert "示例数据" in (out / "index.html").read_text(encoding="utf-8")


def test_sensitivity_band_is_in_the_bulletin(built_month):
    out = built_month.output_month(DEMO_MONTH)
    sens = pd.read_csv(out / "sensitivity.csv")
    assert list(sens.columns) == ["unit", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "pass_probability"]
    html = (out / "bulletin.html").read_text(encoding="utf-8")
    assert "排名区间" in html and "达标概率" in html
    row = sens.set_index("unit").loc["lanshan"]
    unit_html = (out / "units" / "lanshan.html").read_text(encoding="utf-8")
    assert f"第{int(row.rank_p05)}至第{int(row.rank_p95)}位" in unit_html


def test_provenance_names_the_inputs(built_month):
    record = json.loads((built_month.output_month(DEMO_MONTH) / "provenance.json").read_text(encoding="utf-8"))
    assert record["month"] == DEMO_MONTH and record["synthetic"] is True
    assert record["inputs"] and all(len(i["sha256"]) == 64 for i in record["inputs"])
    stage = json.loads((built_month.output_month(DEMO_MONTH) / "stage.json").read_text(encoding="utf-8"))
    assert stage["provenance"]["history_sha256"] == record["history_sha256"]
    html = (built_month.output_month(DEMO_MONTH) / "bulletin.html").read_text(encoding="utf-8")
    assert record["history_sha256"][:8] in html  # the 附注 line: a short hash, the full record in the files
    assert record["params_sha256"][:16] not in html and "run_time" not in html


def test_a_failing_unit_report_leaves_the_others_and_the_published_month(built_month, tmp_path, capsys):
    project = copy_project(tmp_path / "p")
    shutil.copytree(built_month.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(built_month.processed, project.processed, dirs_exist_ok=True)
    shutil.copytree(built_month.output_month(DEMO_MONTH), project.output_month(DEMO_MONTH))
    published = {p.relative_to(project.outputs): p.read_bytes()
                 for p in project.output_month(DEMO_MONTH).rglob("*") if p.is_file()}
    # A unit report that fails for one unit only.
    path = project.notebooks / "county_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell('if unit == "hedong":\n    raise RuntimeError("deliberate failure")'))
    nbformat.write(nb, path)

    status = main(["--root", str(project.root), "bulletin", "--month", DEMO_MONTH, "--units", "lanshan,hedong",
                   "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    assert "hedong: RuntimeError: deliberate failure" in err
    failed = project.outputs / f"{DEMO_MONTH}.failed"
    assert (failed / "units" / "lanshan.pdf").is_file() and (failed / "units" / "lanshan.html").is_file()
    assert (failed / "bulletin.pdf").is_file()
    # units not asked for are carried over from the published month, and say so
    assert (failed / "units" / "yishui.pdf").read_bytes() == published[Path(DEMO_MONTH) / "units" / "yishui.pdf"]
    assert "yishui" in json.loads((failed / "run.json").read_text(encoding="utf-8"))["carried_over_from_earlier_build"]
    executed = nbformat.read(failed / "notebooks" / "units" / "hedong.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in executed.cells for o in c.get("outputs", []))
    # The published month is exactly as it was.
    now = {p.relative_to(project.outputs): p.read_bytes()
           for p in project.output_month(DEMO_MONTH).rglob("*") if p.is_file()}
    assert now == published


def test_review_command_writes_the_acceptance_and_the_register(built_month, tmp_path, capsys):
    project = copy_project(tmp_path / "r")
    shutil.copytree(built_month.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(built_month.processed, project.processed, dirs_exist_ok=True)
    assert main(["--root", str(project.root), "review", "--year", "2019", "--quiet"]) == 0
    table = pd.read_csv(project.outputs / "2019" / "review.csv")
    assert list(table.columns) == ["unit", "platform", "onsite", "offsite", "combined", "combined_rounded", "rank",
                                   "passed", "reason"]
    assert len(table) == 16 and table["rank"].min() == 1
    december = engine_month(project, "2019-12")
    assert table.set_index("unit")["platform"].to_dict() == december.set_index("unit")["total"].to_dict()
    expected = 0.6 * table["platform"] / 150 * 100 + 0.25 * table["onsite"] + 0.15 * table["offsite"]
    assert (expected - table["combined"]).abs().max() < 1e-9
    register = pd.read_csv(project.root / "data" / "titles.csv")
    assert set(register["unit"]) == set(table.loc[table["passed"], "unit"])
    html = (project.outputs / "2019" / "review.html").read_text(encoding="utf-8")
    pdf = pdf_text(project.outputs / "2019" / "review.pdf")
    for row in table.itertuples():
        assert f"{row.combined:.2f}" in html and f"{row.combined:.2f}" in pdf

    # A bad reviewers' file: clear error, exit 2, nothing published or registered changes.
    before = (project.root / "data" / "titles.csv").read_bytes()
    published = (project.outputs / "2019" / "review.csv").read_bytes()
    reviews = project.raw / "2019" / "reviews.csv"
    lines = reviews.read_text(encoding="utf-8-sig").splitlines()
    fields = lines[1].split(",")
    fields[1] = "197"  # the first unit's on-site score, out of 100
    reviews.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n", encoding="utf-8")
    assert main(["--root", str(project.root), "review", "--year", "2019", "--quiet"]) == 2
    assert "reviews.csv: row 2, column 'onsite' (现场调研得分): value '197'" in capsys.readouterr().err
    assert (project.root / "data" / "titles.csv").read_bytes() == before
    assert (project.outputs / "2019" / "review.csv").read_bytes() == published


def test_hostile_entity_names_are_shown_as_text_and_neutralised_in_csv(demo_project, tmp_path):
    """A formula-like or markup-like entity name: neutralised in the processed CSV, shown verbatim
    (escaped) in the unit report."""
    from scoring import report
    from scoring.pipeline.score import score_month
    from scoring.safeio import neutralise_frame

    project = copy_project(tmp_path / "h")
    shutil.copytree(demo_project.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(demo_project.processed, project.processed, dirs_exist_ok=True)
    entries_path = project.processed_month(DEMO_MONTH) / "list_entries.csv"
    entries = pd.read_csv(entries_path, dtype=str, keep_default_na=False)
    moved = entries.index[(entries["movement"] == "entered") & (entries["counted"] == "1")][0]
    hostile = '=HYPERLINK("http://x","<b>y</b>")'
    entries.loc[moved, "entity"] = hostile
    entries_path.write_text(neutralise_frame(entries).to_csv(index=False), encoding="utf-8")
    assert "'=HYPERLINK" in entries_path.read_text(encoding="utf-8")
    unit = entries.loc[moved, "unit"]
    score_month(project, DEMO_MONTH)
    section = report.UnitReport(report.load(DEMO_MONTH, root=project.root), unit).movement_list()
    html = "".join(obj.html() for obj in section)
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;&lt;b&gt;y&lt;/b&gt;&quot;)" in html
    assert "'=HYPERLINK" not in html and "<b>y</b>" not in html


def test_units_subset_is_refused_when_params_changed_since_publishing(built_month, tmp_path, capsys):
    project = copy_project(tmp_path / "u")
    shutil.copytree(built_month.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(built_month.processed, project.processed, dirs_exist_ok=True)
    shutil.copytree(built_month.output_month(DEMO_MONTH), project.output_month(DEMO_MONTH))
    index = project.params / "index.yaml"
    index.write_text(index.read_text(encoding="utf-8").replace("{floor: 0, target: 20}", "{floor: 0, target: 25}", 1),
                     encoding="utf-8")
    assert main(["--root", str(project.root), "bulletin", "--month", DEMO_MONTH, "--units", "lanshan",
                 "--quiet"]) == 2
    assert "run the bulletin for all units (omit --units)" in capsys.readouterr().err


def test_score_command_writes_the_same_stage_tables_as_the_bulletin(built_month, tmp_path):
    """`credit-county score` and `credit-county bulletin` hand the reports the same files."""
    project = copy_project(tmp_path / "s")
    shutil.copytree(built_month.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(built_month.processed, project.processed, dirs_exist_ok=True)
    assert main(["--root", str(project.root), "score", "--month", DEMO_MONTH]) == 0
    scored = json.loads((project.output_month(DEMO_MONTH) / "stage.json").read_text(encoding="utf-8"))
    built = json.loads((built_month.output_month(DEMO_MONTH) / "stage.json").read_text(encoding="utf-8"))
    assert scored["tables"] == built["tables"] and len(built["tables"]) >= 19
    for name, entry in built["tables"].items():
        assert (project.output_month(DEMO_MONTH) / entry["file"]).read_bytes() == \
            (built_month.output_month(DEMO_MONTH) / entry["file"]).read_bytes(), name


def test_executed_notebooks_read_the_build_folder_and_nothing_is_pickled(built_month):
    out = built_month.output_month(DEMO_MONTH)
    for path in out.rglob("*.ipynb"):
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert "tables = " in source and "pickle" not in source and "context_file" not in source
    assert not list(out.rglob("*.pickle")) and not list(built_month.outputs.glob(".context-*"))


def test_the_bulletin_pdf_and_word_name_every_crossing_and_zero_tolerance_failure(built_month):
    """Read back as a recipient would: the facts a leader needs first are in the PDF and the .docx."""
    from docx import Document

    from scoring.tables import StageFolder

    out = built_month.output_month(DEMO_MONTH)
    stage = StageFolder(out)
    names = stage.table("scores").set_index("unit")["name"]
    crossing = [names[u] for u in stage.table("crossings")["unit"]]
    failures = sorted({names[u] for u in stage.table("zero_tolerance")["unit"]})
    assert crossing and failures  # the demo December has both (郯城县 fell below; 费县, 罗庄区, 平邑县)
    pdf = pdf_text(out / "bulletin.pdf").replace("\n", "")
    word = "".join(p.text for p in Document(str(out / "bulletin.docx")).paragraphs)
    for name in [*crossing, *failures]:
        assert name in pdf and name in word, name
    order = [word.find(part) for part in ("一、总体情况", "二、排名情况", "三、存在问题", "四、下一步工作")]
    assert -1 not in order and order == sorted(order)
    assert word.rfind("附件3") > order[-1]
