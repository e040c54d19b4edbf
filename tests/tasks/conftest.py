"""Builders for the task tests: tasks in the small city of tests/conftest.py."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaign.models import EvaluationSystem, IndicatorNode, Standard, WorkdayOverride
from campaign.workdays import seed_from_package
from tasks.models import Task, TaskEvent

TODAY = datetime.date(2026, 3, 2)  # a Monday after the 2026 Spring Festival


PART_STATE = {"status", "progress", "submitted_at", "accepted_at"}


def make_task(city, *, lead_unit=None, responsible=(), deadline=None, office=True, **extra):
    task = Task.objects.create(
        campaign=city.campaign,
        title=extra.pop("title", "背街小巷环境卫生整治"),
        command_office=extra.pop("command_office", city.command_office if office else None),
        lead_unit=lead_unit or city.donghua,
        deadline=deadline or TODAY + datetime.timedelta(days=30),
        **extra,
    )
    task.responsible_units.set(responsible)
    task.sync_parts()
    # A task made in a given state: every unit's part is in that state.
    state = {k: v for k, v in extra.items() if k in PART_STATE}
    if state:
        task.parts.update(**state)
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.CREATED, to_status=task.status)
    return task


def generation_standard(city, *, system_name):
    """A system with one item, one content and one standard led by 市城管局 for 城市建设指挥部,
    to generate tasks from: (system, item, content, standard)."""
    system = EvaluationSystem.objects.create(campaign=city.campaign, name=system_name)
    item = IndicatorNode.objects.create(system=system, level=0, name="公共环境")
    content = IndicatorNode.objects.create(system=system, parent=item, level=1, name="市容环境")
    standard = Standard.objects.create(
        system=system,
        node=content,
        code="1.1",
        text="主次干道整洁",
        points=2,
        lead_unit=city.chengguan,
        lead_command_office=city.command_office,
    )
    return system, item, content, standard


def part_of(task, unit):
    return task.parts.get(unit=unit)


@pytest.fixture
def task(city):
    return make_task(city, responsible=[city.donghua1])


@pytest.fixture
def part(task):
    """东华街道's own part of `task` (it leads; 东华第1社区 has a part of its own)."""
    return part_of(task, task.lead_unit)


@pytest.fixture
def calendar_seeded(db):
    seed_from_package()
    return WorkdayOverride.objects.count()


def photo_upload(name="现场.jpg", size=(1600, 1200), fmt="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
