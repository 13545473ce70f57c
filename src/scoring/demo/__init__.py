"""Deterministic synthetic raw data (示例数据) for the units and every month of the demo's years.

`write_demo` writes data/raw/YYYY-MM/ for January–December of each year of params/demo.yaml
`years` (2019 and 2020: one simulation, the second year continuing the first), exactly as
departments would send it, in every format the ingestion reads:
  示例数据.txt                  the mark: this month is synthetic (`synthetic: true`)
  单位基础数据.csv              UTF-8 (with a byte-order mark in even months)
  指标填报.xlsx                 the indicator sheet, plus a 说明 sheet carrying the mark
  名单记录-市发展改革委.csv     GBK, as Chinese Excel saves it
  名单记录-市市场监管局.csv     GB18030 in even months (a name outside GBK), UTF-8 with BOM in odd months
  评审打分.csv                  UTF-8
December instead holds one filled template workbook (信用县数据填报-YYYY-12.xlsx); beyond
`files.TEMPLATE_RECORDS_MAX` list records (a province's or the nation's units) the records
come as the departments' CSV files, as in the other months, and the workbook has no 名单记录 sheet.
Any number of units (params/units.yaml) is generated in time linear in units and records.
The year folder data/raw/YYYY/ holds the acceptance reviewers' scores (the annual source
`annual_reviews`, read by `scoring.ingest.reviews.read_reviews`):
  示例数据.txt                  the mark, as in a month folder
  reviews.csv                   UTF-8 with BOM: on-site and off-site scores 60–98, higher for units
                                doing well in December; reviewers 张三（示例）…, dates 9 Dec … 17 Jan
Every row's 备注 says 示例数据. Magnitudes and cases come from params/demo.yaml (`settings`);
numpy's default_rng(seed) draws everything in a fixed order (`generator`), so the same seed
gives the same bytes (`files`). A sheet metric's value is drawn by the generator that
params/demo.yaml names for its method (`values`). The file names, the notes sheet and the
list types are those of params/demo.yaml, checked against the contract; yes/no words are
the contract's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scoring.demo.files import generate
from scoring.demo.settings import DemoSettings, load_demo_settings
from scoring.errors import CreditCountyError
from scoring.ingest.process import load_params
from scoring.project import MONTH_PATTERN, Project
from scoring.safeio import staged_dir

DEFAULT_SEED = 20190601
YEAR_PATTERN = re.compile(r"^\d{4}$")  # data/raw/YYYY/: a year's annual inputs (the reviewers' scores)

__all__ = ["DEFAULT_SEED", "DemoSettings", "generate", "load_demo_settings", "raw_years", "write_demo"]


def raw_years(project: Project) -> list[str]:
    """Year folders of data/raw (YYYY: annual inputs such as the reviewers' scores), oldest first."""
    if not project.raw.is_dir():
        return []
    return sorted(p.name for p in project.raw.iterdir() if p.is_dir() and YEAR_PATTERN.match(p.name))


def write_demo(project: Project, years: Sequence[int] | None = None, seed: int = DEFAULT_SEED,
               force: bool = False) -> list[str]:
    """Write the demo months and year folders (reviews.csv) of `years` (default: params/demo.yaml
    `years`) into data/raw/; return the months written.

    Refuses a folder it would write that already exists, and any data/raw that holds real data
    (a folder without the mark file): real data is never overwritten, nor mixed with the demo.
    With `force`, folders that are themselves demo data are replaced.
    """
    spec, units, contract = load_params(project)
    settings = load_demo_settings(project, spec, contract)
    years = tuple(settings.years if years is None else years)
    targets = [f"{y}-{m:02d}" for y in years for m in range(1, 13)] + [str(y) for y in years]
    existing = project.raw_months() + raw_years(project)
    clash = sorted(set(existing) & set(targets))
    if clash and not force:
        raise CreditCountyError(f"{project.raw} already holds {', '.join(clash)}: the demo data "
                                f"({contract.mark}) is written only where data/raw has no such folder, so that "
                                "real data is never overwritten (--force replaces demo folders)")
    real = [m for m in existing if not (project.raw / m / contract.marker_file).is_file()]
    if real:
        raise CreditCountyError(f"{project.raw}: {', '.join(real)} hold(s) real data (no {contract.marker_file}); "
                                "the demo data is not written next to real data")
    folders = generate(spec, units, contract, settings, years, seed)
    for folder, files in folders.items():
        with staged_dir(project.raw / folder) as stage:
            stage.chmod(0o755)  # a temporary folder is private; the month folder is not
            for name, data in files.items():
                (stage / name).write_bytes(data)
    return [f for f in folders if MONTH_PATTERN.match(f)]
