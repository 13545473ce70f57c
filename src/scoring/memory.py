"""How this program's processes allocate memory: every command calls `configure()` first.

Measured on this machine (a virtual machine, where a page's first touch is a costly fault, and a
2 MiB huge page's first touch costs as much as its 512 small pages or more: about 1 s for 400 MiB
the first time, 0.03 s when the pages are reused), three defaults of the libraries cost time:

- pyarrow's wheels allocate from the bundled mimalloc. A worker's first 2,844-unit month of ingest
  spent about 0.7 s in the kernel with mimalloc against 0.2 s with malloc, and `credit-county
  ingest` of 12 months took 8.4–8.8 s against 7.5–7.9 s. `use_system_pool` makes malloc Arrow's pool.
- glibc's malloc returns freed memory to the kernel (trimming the heap's top, unmapping large blocks
  at once, its threshold rising with them), so each month of a run faulted its pages in again:
  500,000–700,000 page faults in the ingest of 12 months. `keep_freed_memory` fixes the thresholds
  (blocks of 32 MiB or less from the heap, the heap trimmed only above 1 GiB free): 340,000–380,000
  faults, less CPU in each of 7 alternating pairs (ingest 11.26 → 10.94 CPU-s, medians; 0.97×).
- NumPy advises the kernel to back each array of 4 MiB or more with huge pages (madvise
  MADV_HUGEPAGE, when transparent huge pages are set to `madvise`, as here). The score stage's
  tables at 2,844 units then spent 0.48–0.76 s in the kernel against 0.40–0.49 s without the advice
  (8 alternating runs), ingest + tables 0.94× the time. `no_hugepage_advice` turns it off.

All three against the code before them (with the params parse cache of scoring.config): ingest +
tables 0.947× (`benchmarks/bench_against.py`); each on its own is near the noise of a run, its kernel
time lower — `benchmarks/bench_memory.py` compares each against the libraries' default in one run.
Where the buffers live never changes what they hold: every file is the same (tests/test_memory.py
checks a month). A setting the user makes ($ARROW_DEFAULT_MEMORY_POOL, $NUMPY_MADVISE_HUGEPAGE,
malloc's thresholds in $GLIBC_TUNABLES) is kept: the libraries read it themselves;
$CREDIT_COUNTY_MALLOC=glibc leaves malloc's own thresholds.
"""

from __future__ import annotations

import ctypes
import os
import platform

POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
HUGEPAGE_ENV = "NUMPY_MADVISE_HUGEPAGE"
TUNABLES_ENV = "GLIBC_TUNABLES"
MALLOC_ENV = "CREDIT_COUNTY_MALLOC"  # "glibc": malloc's own (dynamic) thresholds, not `keep_freed_memory`'s
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20  # bytes: larger blocks are mapped on their own (glibc's largest threshold)
TRIM_THRESHOLD = 1 << 30  # bytes of free memory at the heap's top before it is returned to the kernel


def configure() -> dict[str, object]:
    """The three settings below; returns what is now in use:
    {'arrow_pool': …, 'numpy_hugepages': …, 'malloc_keeps_freed': …}."""
    return {"arrow_pool": use_system_pool(), "numpy_hugepages": no_hugepage_advice(),
            "malloc_keeps_freed": keep_freed_memory()}


def keep_freed_memory() -> bool:
    """Fix glibc malloc's mmap and trim thresholds (`MMAP_THRESHOLD`, `TRIM_THRESHOLD`) so memory a
    month freed serves the next without new page faults; returns whether they are set. Not on
    another C library, nor when $GLIBC_TUNABLES sets either threshold or $CREDIT_COUNTY_MALLOC is
    "glibc" (the user's choice)."""
    tunables = os.environ.get(TUNABLES_ENV, "")
    if (platform.libc_ver()[0] != "glibc" or "mmap_threshold" in tunables or "trim_threshold" in tunables
            or os.environ.get(MALLOC_ENV, "").strip() == "glibc"):
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def use_system_pool() -> str:
    """Make malloc Arrow's default memory pool, unless $ARROW_DEFAULT_MEMORY_POOL names one; returns
    the backend now in use ('system', 'mimalloc', 'jemalloc'). Buffers already allocated stay in
    their own pool and are freed there."""
    import pyarrow as pa

    if not os.environ.get(POOL_ENV, "").strip():
        pa.set_memory_pool(pa.system_memory_pool())
    return str(pa.default_memory_pool().backend_name)


def no_hugepage_advice() -> bool:
    """Stop NumPy advising huge pages for its large arrays, unless $NUMPY_MADVISE_HUGEPAGE is set
    (NumPy read it when imported); returns whether NumPy advises them now. Arrays already allocated
    keep their pages."""
    import numpy as np

    core = getattr(np, "_core", None) or np.core  # (NumPy 2: numpy._core; 1.26: numpy.core)
    toggle = core.multiarray._set_madvise_hugepage
    if not os.environ.get(HUGEPAGE_ENV, "").strip():
        toggle(False)
    advised = toggle(False)  # (returns the setting it replaces: read it, then put it back)
    toggle(advised)
    return bool(advised)
