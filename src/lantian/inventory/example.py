"""The EXAMPLE activity data of 冷水滩区 (``data/example/*.csv``): invented, labelled 示例数据.

For the bundled example registry (``lantian sources import --example``): one CSV per activity
template, in the template's layout, each row's 备注 saying 示例数据. The construction sites' rows
are what the template fills from the registry (areas, months from the sites' dates, measures from
their 八个必须); the other numbers (traffic, vehicle weights, silt loadings, coal burned, …) are
invented for the demonstration. Factor cells without a published value to cite are left empty,
so those rows give no emission and are listed as not computed — the example never makes up a
factor either. Stored rows are marked ``example``; every output built from them says 示例数据.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from lantian.inventory.activity import TEMPLATES, import_activity
from lantian.plan.access import Actor

EXAMPLE_YEAR = 2019


def example_file(template: str) -> Path:
    """The example CSV of ``template``."""
    if template not in TEMPLATES:
        raise KeyError(f"unknown template {template!r}; valid: {', '.join(TEMPLATES)}")
    return Path(str(resources.files("lantian.inventory") / "data" / "example" / f"{template}.csv"))


def import_example_activity(db: Session, actor: Actor, year: int = EXAMPLE_YEAR) -> dict[str, int]:
    """Import every example CSV for ``year`` (the example registry must be registered)."""
    counts: dict[str, int] = {}
    for template in TEMPLATES:
        path = example_file(template)
        if path.is_file():
            counts |= import_activity(
                db,
                actor,
                f"示例/{path.name}",
                path.read_bytes(),
                year,
                template=template,
                example=True,
            )
    return counts
