"""docs/web-ledger.md names every ledger route, and the pages' words exist in both languages."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from lantian.plan.views import OVERDUE_KINDS
from lantian.plan.vocabulary import GRADES_ORDER, VOCABULARIES
from lantian.web.ledger import router
from lantian.web.ledger.render import messages, terms_en, translate

DOCS = Path(__file__).parents[2] / "docs" / "web-ledger.md"


def test_docs_name_every_route():
    docs = DOCS.read_text(encoding="utf-8")
    paths = {route.path for route in router.routes}
    assert len(paths) >= 20
    assert sorted(p for p in paths if f"`{p}`" not in docs and f"`{p}` (" not in docs) == []


def test_every_word_the_templates_use_is_there_in_both_languages():
    folder = resources.files("lantian.web.ledger").joinpath("templates")
    used = set()
    for template in folder.iterdir():
        used |= set(re.findall(r"\bt\('([a-z_]+)'\)", template.read_text(encoding="utf-8")))
    assert used
    for key in used | {"not_reported"}:
        assert translate(key, "zh-CN")
        assert translate(key, "en")
    dynamic = {f"grade_{g}" for g in GRADES_ORDER} | {f"overdue_{k}" for k in OVERDUE_KINDS}
    for key in set(messages()) | dynamic:
        assert translate(key, "zh-CN")
        assert translate(key, "en")


def test_every_ledger_code_has_an_english_name():
    for vocabulary, table in VOCABULARIES.items():
        assert set(terms_en()[vocabulary]) == set(table), vocabulary
