"""Ingestion: the departments' files of a month → one validated table of metric values.

    data/raw/YYYY-MM/  (CSV in UTF-8 / GBK / GB18030, .xlsx)          params/sources.yaml: the contract
        │  readers   which file holds which source; text of every cell with its row number
        │  tables    pandera checks of every file's cells and rows (column types: `types`, rules: `rules`)
        │  pools     pandera checks across the files of a source; the typed frames; one line per problem
        │  derive    list records → 综合失信 metrics; counts ÷ unit register (`per`)
        ▼
    data/processed/YYYY-MM/  metrics.csv, register.csv, list_entries.csv, reviews.csv, manifest.json

`ingest_month` writes all or nothing; `template.write_template` writes the Excel workbook
departments fill in. `reviews.read_reviews` reads a year folder's acceptance scores
(data/raw/YYYY/reviews.csv|xlsx) with the same machinery. docs/data.md documents the contract.
"""

from scoring.ingest.process import MonthData, ingest_month, is_up_to_date, load_params, read_raw_month, write_month

__all__ = ["MonthData", "ingest_month", "is_up_to_date", "load_params", "read_raw_month", "write_month"]
