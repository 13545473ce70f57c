"""The archive site (outputs/site/): every published month, unit, annual review and year comparison
as static, self-contained pages, built from the stage files of outputs/ only — never re-scored.

    from scoring.site import build_site
    result = build_site(project)        # SiteResult: files, written, removed, skipped; .summary()

Modules: `settings` (params/site.yaml), `collect` (outputs/ → tables), `series` (the history per
month), `layout` (page shell, links, tables), `charts` (inline SVG), `style` (style.css), `pages`
(home, month, index), `units` (unit pages), `years` (review and comparison pages), `build` (publish).
"""

from scoring.site.build import SITE_FOLDER, SiteResult, build_site, render_site
from scoring.site.collect import SiteData, collect_site

__all__ = ["SITE_FOLDER", "SiteData", "SiteResult", "build_site", "collect_site", "render_site"]
