"""Arrow's memory pool for this process: the C library's allocator (malloc), not the bundled mimalloc.

pyarrow's wheels allocate from mimalloc by default. Measured on this machine (a virtual machine:
a page's first touch is a costly fault), a worker's first 2,844-unit month of ingest spent about
0.7 s in the kernel with mimalloc against 0.2 s with malloc, and `credit-county ingest` of 12
months took 8.4–8.8 s against 7.5–7.9 s (`benchmarks/bench_arrow_pool.py` compares them in one
run). The pool decides where Arrow's buffers live, never what they hold: every file is the same.

$ARROW_DEFAULT_MEMORY_POOL, when set, is the user's choice and is kept (pyarrow reads it itself).
"""

from __future__ import annotations

import os

POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_pool() -> str:
    """Make malloc Arrow's default memory pool, unless $ARROW_DEFAULT_MEMORY_POOL names one; returns
    the backend now in use ('system', 'mimalloc', 'jemalloc'). Buffers already allocated stay in
    their own pool and are freed there."""
    import pyarrow as pa

    if not os.environ.get(POOL_ENV, "").strip():
        pa.set_memory_pool(pa.system_memory_pool())
    return str(pa.default_memory_pool().backend_name)
