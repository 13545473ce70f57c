"""A pytest plugin for the notebook test: nbval's sanitising patterns also reach JSON outputs.

nbval applies `--nbval-sanitize-with` to text outputs only; the structured block of each
display (`application/vnd.credit-county.block+json`) names its chart `fig-<hash of the PNG>.png`,
and PNG bytes follow the rasteriser (matplotlib, FreeType) as much as the data. The block is
sanitised as its JSON text, so the figure name is compared as `fig-NAME` there too, as it already
is in the HTML and typst forms. Loaded with `-p tests.nbval_json` by tests/test_notebooks.py.
"""

from __future__ import annotations

import json

from nbval.plugin import IPyNbCell

_sanitize_text = IPyNbCell.sanitize


def _sanitize_text_and_json(self: IPyNbCell, value: object) -> object:
    if isinstance(value, dict | list):
        return json.loads(_sanitize_text(self, json.dumps(value, ensure_ascii=False, sort_keys=True)))
    return _sanitize_text(self, value)


IPyNbCell.sanitize = _sanitize_text_and_json
