"""The production variables README's deployment section documents pass Django's deployment
checks at warning level, as CI runs them."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def documented_production_variables():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Production deployment", 1)[1]
    script = section.split("```sh", 1)[1].split("```", 1)[0]
    export = script.split("export ", 1)[1].split("\n.venv", 1)[0].replace("\\\n", " ")
    variables = dict(re.findall(r"([A-Z][A-Z0-9_]*)=(\S+)", export))
    # "…" stands for a secret of the site's own.
    variables["SECRET_KEY"] = secrets.token_urlsafe(50)
    return variables


def test_the_documented_production_variables_pass_check_deploy_at_warning_level():
    variables = documented_production_variables()
    assert variables["DEBUG"] == "0"
    environment = {"PATH": os.environ.get("PATH", ""), **variables}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
