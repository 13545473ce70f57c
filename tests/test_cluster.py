"""Reports on Dask: a cluster's scheduler runs the batch, a worker keeps its kernel warm, and a
report that fails does not reach the next one (scoring.pipeline.cluster, kernels, batch)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from scoring.errors import CreditCountyError
from scoring.pipeline import batch, cluster, kernels

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
REPORT = """\
import json, os
exec(code, globals())
print(json.dumps({"kernel": os.getpid(), "cwd": os.getcwd()}))
"""


def code_notebook(path: Path) -> Path:
    """A notebook that runs its parameter `code` and prints the kernel's pid and working folder."""
    cells = [new_code_cell('code = ""', metadata={"tags": ["parameters"]}), new_code_cell(REPORT)]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)
    return path


def code_job(folder: Path, notebook: Path, name: str, code: str) -> batch.Job:
    return batch.Job(name=name, notebook=notebook, parameters={"code": code},
                     executed=folder / f"{name}.ipynb", cwd=folder / "work")


def printed(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def test_a_report_gets_a_fresh_namespace_and_a_failure_a_new_kernel(tmp_path):
    """One worker, four reports in order: the warm kernel is reused (same pid) with nothing left of
    the report before; after the report that broke a module and failed, the kernel is a new one."""
    notebook = code_notebook(tmp_path / "code.ipynb")
    jobs = [code_job(tmp_path, notebook, "a", "leak = 1"),
            code_job(tmp_path, notebook, "b", "assert 'leak' not in globals() and 'code' in globals()"),
            code_job(tmp_path, notebook, "c", "import statistics\nstatistics.mean = None\n"
                                              "raise RuntimeError('broken on purpose')"),
            code_job(tmp_path, notebook, "d", "import statistics\nassert statistics.mean([1, 3]) == 2")]
    result = batch.run_batch(jobs, workers=1, progress=False)

    assert result.succeeded == ["a", "b", "d"] and list(result.failed) == ["c"], result.failed
    assert result.failed["c"].startswith("RuntimeError: broken on purpose")
    a, b, d = (printed(tmp_path / f"{n}.ipynb") for n in "abd")
    assert a["kernel"] == b["kernel"]  # warm: the second report ran in the first one's kernel
    assert d["kernel"] != a["kernel"]  # the failed report's kernel was replaced
    assert a["cwd"] == b["cwd"] == str(tmp_path / "work")
    executed = nbformat.read(tmp_path / "b.ipynb", as_version=4)
    assert [c.get("execution_count") for c in executed.cells] == [1, 2, 3]  # a new session counts from 1


def test_a_warm_kernel_is_reset_to_each_jobs_working_folder(tmp_path):
    notebook = code_notebook(tmp_path / "code.ipynb")
    kernel = kernels.WarmKernel("python3")
    try:
        for folder in ("one", "two"):
            (tmp_path / folder).mkdir()
            kernel.execute(notebook, tmp_path / f"{folder}.ipynb", {"code": ""}, cwd=tmp_path / folder, timeout=60)
            assert printed(tmp_path / f"{folder}.ipynb")["cwd"] == str(tmp_path / folder)
        assert kernel.started == 1 and kernel.notebooks == 2
    finally:
        kernel.shutdown()
    assert kernel.manager is None


def test_a_local_cluster_started_in_process_runs_the_batch_through_its_scheduler(tmp_path):
    """The --scheduler route: a LocalCluster with 2 workers in this process; each worker keeps its kernel."""
    from distributed import LocalCluster

    notebook = code_notebook(tmp_path / "code.ipynb")
    jobs = [code_job(tmp_path / "out", notebook, f"r{i}", f"n = {i}") for i in range(4)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as local:
        result = batch.run_batch(jobs, progress=False, scheduler=local.scheduler_address)
        assert len(local.scheduler.workers) == 2
    assert result.succeeded == [j.name for j in jobs] and result.ok, result.failed
    pids = {printed(tmp_path / "out" / f"{j.name}.ipynb")["kernel"] for j in jobs}
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids  # kernels are processes of their own, reused


def test_the_scheduler_comes_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.delenv(cluster.SCHEDULER_ENV, raising=False)
    assert cluster.scheduler_address() is None
    monkeypatch.setenv(cluster.SCHEDULER_ENV, "tcp://10.0.0.5:8786")
    assert cluster.scheduler_address() == "tcp://10.0.0.5:8786"
    assert cluster.scheduler_address("tcp://127.0.0.1:9999") == "tcp://127.0.0.1:9999"
    with pytest.raises(CreditCountyError, match="no protocol"):
        cluster.scheduler_address("10.0.0.5:8786")


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    notebook = code_notebook(tmp_path / "code.ipynb")
    with pytest.raises(CreditCountyError, match=r"could not reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        batch.run_batch([code_job(tmp_path, notebook, "a", "")], progress=False, scheduler="tcp://127.0.0.1:9")
