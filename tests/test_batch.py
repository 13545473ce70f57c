"""Batch: notebooks run in worker processes with parameters injected; a failure is isolated and rendered."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from papermill.exceptions import PapermillExecutionError
from pypdf import PdfReader

from scoring.errors import BatchError, CreditCountyError
from scoring.pipeline import batch, kernels

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

TOY_BODY = """\
import sys, warnings
from IPython.display import display
import matplotlib.pyplot as plt
from scoring.render import display as d

warnings.warn("LOG LINE MUST NOT SHOW")
print("kernel python:", sys.executable)
display(d.Heading("单位：" + unit), d.Paragraph("kernel=" + sys.executable))
fig, ax = plt.subplots(figsize=(4, 2))
ax.plot([1, 2, 3])
ax.set_title("得分走势 " + unit)
display(d.Figure(fig))
if fail:
    raise ValueError(f"数据缺失：{unit}")
display(d.Paragraph("本节完成 " + unit))
"""


def toy_notebook(path: Path) -> Path:
    cells = [new_markdown_cell("# toy report"),
             new_code_cell('unit = "默认"\nfail = False', metadata={"tags": ["parameters"]}),
             new_code_cell(TOY_BODY)]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)
    return path


def make_job(folder: Path, notebook: Path, name: str, unit: str, fail: bool = False) -> batch.Job:
    return batch.Job(name=name, notebook=notebook, parameters={"unit": unit, "fail": fail},
                     executed=folder / "notebooks" / f"{name}.ipynb", html=folder / f"{name}.html",
                     pdf=folder / f"{name}.pdf", docx=folder / f"{name}.docx", title="临沂市\"信用县\"创建监测报告",
                     subtitle=f"2019年12月 · {unit}",
                     synthetic=True, cwd=folder)


def pdf_text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def docx_text(path: Path) -> str:
    import docx

    doc = docx.Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs] + [h.text for h in doc.sections[0].header.paragraphs])


@pytest.mark.slow
def test_batch_isolates_a_failing_notebook_and_renders_every_one(tmp_path):
    notebook = toy_notebook(tmp_path / "toy.ipynb")
    out = tmp_path / "out"
    jobs = [make_job(out, notebook, "lanshan", "兰山区"), make_job(out, notebook, "luozhuang", "罗庄区", fail=True),
            make_job(out, notebook, "hedong", "河东区")]
    result = batch.run_batch(jobs, workers=2, progress=False)

    assert result.succeeded == ["lanshan", "hedong"]
    assert list(result.failed) == ["luozhuang"]
    reason = result.failed["luozhuang"]
    assert reason.startswith("ValueError: 数据缺失：罗庄区") and "cell 3" in reason and "\n" not in reason
    assert set(result.durations) == {"lanshan", "luozhuang", "hedong"}
    assert all(0 < s < 120 for s in result.durations.values())

    for name, unit in [("lanshan", "兰山区"), ("hedong", "河东区")]:
        executed = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
        injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
        values: dict = {}
        exec(injected[0].source, values)  # papermill writes the values as Python literals
        assert values["unit"] == unit and values["fail"] is False
        last = executed.cells[-1]
        assert not any(o.output_type == "error" for o in last.outputs)
        printed = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
        assert f"kernel python: {sys.executable}" in printed  # the kernel runs this venv's Python
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert f"本节完成 {unit}" in page and "MUST NOT SHOW" not in page and 'class="error-box"' not in page
        text = pdf_text(out / f"{name}.pdf")
        assert f"本节完成 {unit}" in text and "示例数据" in text and "MUST NOT SHOW" not in text
        text = docx_text(out / f"{name}.docx")
        assert f"本节完成 {unit}" in text and "示例数据" in text and "MUST NOT SHOW" not in text

    failed = nbformat.read(out / "notebooks" / "luozhuang.ipynb", as_version=4)
    errors = [o for c in failed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    page = (out / "luozhuang.html").read_text(encoding="utf-8")
    assert 'class="error-box"' in page and "数据缺失：罗庄区" in page and "<p>本节完成" not in page
    text = pdf_text(out / "luozhuang.pdf")
    assert "ValueError: 数据缺失：罗庄区" in text and "单位：罗庄区" in text
    text = docx_text(out / "luozhuang.docx")  # the Word file too shows the error box
    assert "ValueError: 数据缺失：罗庄区" in text and "单位：罗庄区" in text
    assert "本节完成 罗庄区" not in text.splitlines()

    with pytest.raises(BatchError) as err:
        result.raise_for_failures()
    assert err.value.problems == [f"luozhuang: {reason}"]


def test_a_missing_notebook_fails_its_job_with_a_reason(tmp_path):
    job = make_job(tmp_path, tmp_path / "nope.ipynb", "nope", "兰山区")
    name, reason, seconds = batch.run_job(job)
    assert name == "nope" and "nope.ipynb" in reason and seconds >= 0
    assert not job.html.exists() and not job.pdf.exists() and not job.docx.exists()


def test_reasons_are_one_line_and_name_the_cell():
    exc = PapermillExecutionError(cell_index=4, exec_count=3, source="x", ename="KeyError",
                                  evalue="'lanshan'\nmore", traceback=[])
    assert batch._reason(exc) == "KeyError: 'lanshan' more (cell 4, In [3])"
    assert len(batch._reason(RuntimeError("x" * 1000))) == batch.REASON_MAX


def test_duplicate_names_or_outputs_are_refused_before_running(tmp_path):
    a = make_job(tmp_path, tmp_path / "a.ipynb", "a", "兰山区")
    b = make_job(tmp_path, tmp_path / "a.ipynb", "a", "罗庄区")
    with pytest.raises(CreditCountyError) as err:
        batch.run_batch([a, b], progress=False)
    assert any("name a" in p for p in err.value.problems)
    assert any("executed" in p for p in err.value.problems)
    assert any("docx" in p for p in err.value.problems)


def test_empty_batch_and_success_do_not_raise():
    result = batch.run_batch([], progress=False)
    assert result.succeeded == [] and result.failed == {} and result.ok
    result.raise_for_failures()


def test_kernel_manager_uses_this_python_over_ipc():
    km = kernels.kernel_manager_class()(kernel_name="python3")
    assert km.transport == "ipc"
    assert km.kernel_spec.argv[0] == sys.executable
    assert Path(km.ip).is_absolute()
