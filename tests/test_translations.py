"""Every catalogue is complete and compiled: a Chinese user never sees English by accident."""

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def entries(po_path):
    """(msgid, msgstr values, flags) for each entry but the header."""
    for block in po_path.read_text(encoding="utf-8").split("\n\n"):
        if "msgid" not in block:
            continue
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        ids = re.findall(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgid = "".join(re.findall(r'"(.*)"', ids[0])) if ids else ""
        strs = [
            "".join(re.findall(r'"(.*)"', s))
            for s in re.findall(r"^msgstr(?:\[\d\])? ((?:\".*\"\n?)+)", block + "\n", re.M)
        ]
        if msgid and not block.lstrip().startswith("#~"):
            yield msgid, strs, flags


def test_the_site_and_every_app_have_a_chinese_catalogue():
    found = {p.relative_to(ROOT).parts[0] for p in CATALOGUES}
    assert {"locale", "campaign"} <= found


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_and_none_is_fuzzy(po_path):
    problems = [
        msgid for msgid, strs, flags in entries(po_path) if "fuzzy" in flags or not all(strs)
    ]
    assert problems == []


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_holds_every_message(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run manage.py compilemessages"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled}
    missing = [
        msgid
        for msgid, _strs, _flags in entries(po_path)
        if msgid.replace('\\"', '"').replace("\\n", "\n") not in compiled_ids
    ]
    assert missing == []
