"""Jupyter kernels for the report notebooks: this venv's Python over IPC, and kept warm between reports.

A worker process runs many reports. Starting a kernel and importing the report code costs about
3 s a report, far more than most reports' own work, so a worker keeps one kernel per kernel name
(`warm(name)`) and runs each notebook in it with papermill (engine `ENGINE`, which uses the running
kernel instead of starting one). Before each report the kernel is reset (`_reset_code`): a new
IPython session (empty namespace, execution count from 1), the job's working folder, no open figures.
A report that fails — an error in a cell, a timeout, a dead kernel — gets its kernel shut down, and
the next report starts a fresh one: a failure never reaches the next report. Modules imported by a
report that succeeded stay imported (that is the saving); the report notebooks do not change module
state.

Kernels: 'python3' is always this interpreter (sys.executable, i.e. the venv's Python) whatever
kernel.json files exist elsewhere; sockets are IPC files in the temporary folder, not TCP ports.
Every kernel started is recorded (scoring.pipeline.runs.record_kernel) so that a killed run's
kernels can be ended by the next command.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from scoring.pipeline import runs

ENGINE = "credit-county-warm"  # the papermill engine name registered by `_register_engine`
START_TIMEOUT = 60  # seconds for a kernel to start
SHUTDOWN_WAIT = 5.0  # seconds a kernel is given to exit when shut down


def _reset_code(cwd: str) -> str:
    """Python run in the kernel between two reports (not stored in its history)."""
    return ("get_ipython().reset(new_session=True)\n"
            f"__import__('os').chdir({cwd!r})\n"
            "_pyplot = __import__('sys').modules.get('matplotlib.pyplot')\n"
            "_pyplot is not None and _pyplot.close('all')\n"
            "del _pyplot\n")


def kernel_manager_class() -> type:
    """A jupyter KernelManager: IPC transport, 'python3' = ipykernel in sys.executable, quiet shutdown."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager
    from jupyter_client.manager import KernelManager
    from traitlets import CaselessStrEnum, default

    class VenvKernelSpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> Any:
            if kernel_name in (NATIVE_KERNEL_NAME, "python"):
                spec = get_kernel_dict()
                # -Xfrozen_modules=off: debugpy (ipykernel's debugger) otherwise warns at each start.
                spec["argv"] = [sys.executable, "-Xfrozen_modules=off", *spec["argv"][1:]]
                return self.kernel_spec_class(resource_dir=RESOURCES, **spec)
            return super().get_kernel_spec(kernel_name)

    class IpcKernelManager(KernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _default_ip(self) -> str:
            # Unique, absolute socket prefix: the default 'kernel-ipc' is relative to the cwd and
            # kernels started at the same time in the same folder would share sockets.
            return os.path.join(tempfile.gettempdir(), f"cc-{uuid.uuid4().hex[:12]}-ipc")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts before every shutdown; the kernel then logs a spurious
            # "KeyboardInterrupt caught in kernel". An idle kernel needs only the shutdown request
            # (a busy one is still killed after the shutdown wait).
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            runs.record_kernel(getattr(self.provisioner, "pid", None))  # ended if it outlives its worker

        @default("kernel_spec_manager")
        def _default_spec_manager(self) -> KernelSpecManager:
            return VenvKernelSpecManager(data_dir=self.data_dir)

    return IpcKernelManager


def _register_engine() -> None:
    """Register papermill engine `ENGINE`: nbclient on a kernel manager the caller started (`km`),
    left running afterwards, over the kernel's client `kc` (kept open between notebooks: a new
    client costs a start-up handshake of about 0.2 s). `reset_code` runs silently first."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    if ENGINE in papermill_engines._engines:
        return

    class ResettingClient(PapermillNotebookClient):
        reset_code = ""

        def papermill_execute_cells(self) -> None:
            if self.reset_code:
                msg_id = self.kc.execute(self.reset_code, silent=True, store_history=False, allow_stdin=False)
                reply = self.wait_for_reply(msg_id) or {}
                content = reply.get("content", {})
                if content.get("status") != "ok":
                    raise RuntimeError(f"the kernel could not be reset: {content.get('ename')}: "
                                       f"{content.get('evalue')}")
            super().papermill_execute_cells()

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = START_TIMEOUT, execution_timeout: int | None = None,
                                     km: Any = None, kc: Any = None, reset_code: str = "", **_: Any) -> Any:
            from papermill.log import logger

            client = ResettingClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.reset_code = reset_code
            client.kc = kc  # the kernel's own client, kept open: no start-up handshake per notebook
            return client.execute(cleanup_kc=False)

    papermill_engines.register(ENGINE, WarmEngine)


class WarmKernel:
    """One kernel kept running between notebooks; replaced after any notebook that fails."""

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self.manager: Any = None
        self.client: Any = None  # the client every notebook of this kernel runs over
        self.notebooks = 0  # notebooks run in the current kernel
        self.started = 0  # kernels started
        self.last_pid: int | None = None  # the kernel that ran (or began) the last notebook
        # jupyter_client's blocking calls keep their event loop in a context variable: a context of
        # our own, so that a loop another thread runs (a Dask worker's, say) is never picked up.
        self._context = contextvars.Context()

    @property
    def pid(self) -> int | None:
        return getattr(getattr(self.manager, "provisioner", None), "pid", None)

    def _start(self) -> None:
        self.manager = kernel_manager_class()(kernel_name=self.kernel_name)
        self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=START_TIMEOUT)
        self.started += 1
        self.notebooks = 0

    def execute(self, notebook: Path, output: Path, parameters: dict[str, Any], *, cwd: Path | None,
                timeout: int) -> None:
        """papermill `notebook` → `output` with `parameters` in this kernel (reset first); raises as
        papermill does. Any failure shuts the kernel down: the next notebook gets a new one."""
        self._context.run(self._execute, notebook, output, parameters, cwd, timeout)

    def _execute(self, notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path | None,
                 timeout: int) -> None:
        import papermill

        _register_engine()
        ok = False
        try:
            if self.manager is None or not self.manager.is_alive():
                self._shutdown()
                self._start()
            self.last_pid = self.pid
            papermill.execute_notebook(
                str(notebook), str(output), parameters=dict(parameters), engine_name=ENGINE,
                kernel_name=self.kernel_name, progress_bar=False, log_output=False, execution_timeout=timeout,
                request_save_on_cell_execute=False,  # one write at the end (and on a failure), not one per cell
                start_timeout=START_TIMEOUT, km=self.manager, kc=self.client,
                reset_code=_reset_code(str(cwd) if cwd else os.getcwd()))  # no cwd=: a chdir is process-wide
            ok = True
        finally:
            self.notebooks += 1
            if not ok:
                self._shutdown()

    def shutdown(self) -> None:
        """End the kernel (if any); the next `reset` starts another."""
        self._context.run(self._shutdown)

    def _shutdown(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.stop_channels()
        manager, self.manager = self.manager, None
        if manager is not None:
            with contextlib.suppress(Exception):
                manager.shutdown_kernel(now=False, restart=False)
            with contextlib.suppress(Exception):
                manager.cleanup_resources()


_warm: dict[tuple[str, int], WarmKernel] = {}  # this process's kernels, by kernel name and thread


def warm(kernel_name: str) -> WarmKernel:
    """This thread's warm kernel for `kernel_name` (created on first use, ended at exit).

    By thread: a Dask worker of a threaded cluster runs one notebook per thread at a time."""
    if not _warm:
        import atexit

        atexit.register(shutdown_all)
    return _warm.setdefault((kernel_name, threading.get_ident()), WarmKernel(kernel_name))


def shutdown_all() -> None:
    """End every warm kernel of this process."""
    for kernel in list(_warm.values()):
        kernel.shutdown()
    _warm.clear()


def notebook_kernel(notebook: Path) -> str:
    """The kernel name a notebook asks for (metadata.kernelspec.name; 'python3' when it names none)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    return (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
