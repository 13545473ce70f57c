"""The fixed UI labels of rendered reports (page footer, synthetic-data marks, error box):
the `render:` mapping of params/labels.yaml."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from scoring.errors import SpecError
from scoring.project import find_root

#: Used only when params/labels.yaml does not exist. Placeholders: {page}, {total}
#: (docx_page_number: the Word file's footer, GB/T 9704 style: {page} only).
DEFAULT_LABELS: dict[str, str] = {
    "page_number": "第 {page} 页 / 共 {total} 页",
    "watermark": "示例数据",
    "synthetic_header": "示例数据（合成，非真实统计）",
    "error_title": "本节运行出错（审核人员请查看执行后的 notebook）",
    "docx_page_number": "— {page} —",
}



def _find_labels_file(start: Path | None) -> Path | None:
    """params/labels.yaml of the project found from `start` (scoring.project.find_root)."""
    root = find_root(start=start)
    return root / "params" / "labels.yaml" if root else None


def load_labels(path: str | os.PathLike | None = None, *, start: str | os.PathLike | None = None) -> dict[str, str]:
    """The fixed UI labels of rendered reports: the `render:` mapping of params/labels.yaml.

    `path`: the labels file; default: the project's (found from $CREDIT_COUNTY_ROOT, or upwards
    from `start` / the current folder). When the file does not exist, DEFAULT_LABELS; when it
    exists it must name every label (SpecError lists the missing ones).
    """
    file = Path(path) if path is not None else _find_labels_file(Path(start) if start else None)
    if file is None or not file.is_file():
        return dict(DEFAULT_LABELS)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpecError(f"{file}: not valid YAML ({exc})") from exc
    section = data.get("render") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise SpecError(f"{file}: a `render:` mapping of labels is missing",
                        [f"{file}: render.{k} missing (e.g. {v!r})" for k, v in DEFAULT_LABELS.items()])
    problems = [f"{file}: render.{k} missing (e.g. {v!r})" for k, v in DEFAULT_LABELS.items()
                if not isinstance(section.get(k), str)]
    page = section.get("page_number")
    if isinstance(page, str) and not ("{page}" in page and "{total}" in page):
        problems.append(f"{file}: render.page_number must contain {{page}} and {{total}}, got {page!r}")
    word_page = section.get("docx_page_number")
    if isinstance(word_page, str) and "{page}" not in word_page:
        problems.append(f"{file}: render.docx_page_number must contain {{page}}, got {word_page!r}")
    if problems:
        raise SpecError(f"{file}: {len(problems)} render label(s) missing or wrong", problems)
    return {k: str(v) for k, v in section.items()}


