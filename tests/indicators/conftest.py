"""Builders for the indicator tests: a campaign with the sample organisation, and workbooks."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from campaign.indicator_import import apply_indicators, read_indicators
from campaign.management.commands.seed_demo import COMMAND_OFFICES
from campaign.models import CommandOffice, Unit
from campaign.services import apply_organisation, read_organisation

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "indicator-system.xlsx"


def xlsx(*sheets):
    """Workbook bytes from sheets given as (title, rows, merged ranges such as "B3:B5")."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows, merges in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for cells in merges:
            sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def org(campaign, personas):
    """The campaign with the sample organisation's 59 units and the demo's command offices."""
    plan = read_organisation((DATA / "organisation.xlsx").read_bytes(), campaign=campaign)
    assert not plan.errors
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    for name, members in COMMAND_OFFICES.items():
        office, _ = CommandOffice.objects.get_or_create(campaign=campaign, name=name)
        office.units.add(*Unit.objects.filter(campaign=campaign, name__in=members))
    return campaign


def import_bytes(data, campaign, actor, **kwargs):
    """Read and apply a workbook that must have no errors; returns (plan, system)."""
    mapping = kwargs.pop("mapping", None)
    system = kwargs.pop("system", None)
    plan = read_indicators(
        data, campaign=campaign, filename="t.xlsx", mapping=mapping, system=system
    )
    assert plan.all_errors == []
    return plan, apply_indicators(plan, campaign=campaign, actor=actor, system=system, **kwargs)


@pytest.fixture
def sample_system(org, personas):
    _plan, system = import_bytes(SAMPLE.read_bytes(), org, personas.office_admin)
    return system
