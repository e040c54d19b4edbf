"""Every page sends a Content-Security-Policy that lets no inline script run, and no template
needs one: behaviour lives in static files, so injected markup cannot execute.
"""

import re
from pathlib import Path

from django.conf import settings

from tests.test_every_url import URLS

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
# A <script> element without src= (JSON data blocks from json_script are not run) ...
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
# ... or an event-handler attribute such as onclick="…", or a javascript: link.
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.I)


def directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_page_sends_a_policy_without_inline_script(personas, client_for):
    client = client_for(personas.office_admin)
    pages = [url for _route, url, has_args in URLS if not has_args] + ["/login/"]
    missing, weak = [], []
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue
        header = response.get("Content-Security-Policy")
        if not header:
            missing.append(url)
            continue
        policy = directives(header)
        if policy.get("script-src") != ["'self'"] or policy.get("object-src") != ["'none'"]:
            weak.append(url)
    assert len(pages) > 30
    assert (missing, weak) == ([], [])


def test_the_public_citizen_report_page_sends_the_policy(client, campaign):
    response = client.get(f"/ledger/report/{campaign.pk}/")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in directives(response["Content-Security-Policy"])["script-src"]
