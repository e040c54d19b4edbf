"""Every tasks page × every persona: the status each must get (404 out of scope, 403 read-only)."""

import pytest
from django.urls import reverse

PERSONAS = [
    "office_admin",
    "leader",
    "inspector",
    "command_staff",
    "district_leader",
    "street_leader",
    "street_liaison",
    "community_leader",
    "other_district_leader",
    "department_leader",
]
MANAGERS = {"office_admin", "command_staff"}
# Who sees the task led by 东华街道 with 东华第1社区 responsible, in 城市建设指挥部.
SEES_TASK = set(PERSONAS) - {"other_district_leader", "department_leader"}


def expected(name, persona):
    if name in ("task_list", "task_mine", "battle_map", "task_export"):
        return 200
    if name == "task_create":
        return 200 if persona in MANAGERS else 403
    if name in ("task_generate", "workday_calendar"):
        return 200 if persona == "office_admin" else 403
    if name == "progress_import":
        return 403 if persona == "leader" else 200
    if persona not in SEES_TASK:
        return 404
    if name == "task_detail":
        return 200
    return 200 if persona in MANAGERS else 403  # edit, deadline, reassign


PAGES = [
    "task_list",
    "task_mine",
    "battle_map",
    "task_export",
    "task_create",
    "task_generate",
    "workday_calendar",
    "progress_import",
    "task_detail",
    "task_edit",
    "task_deadline",
    "task_reassign",
]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_answers_each_persona_as_it_must(task, personas, client_for, name):
    needs_pk = name.startswith("task_") and name not in (
        "task_list",
        "task_mine",
        "task_export",
        "task_create",
        "task_generate",
    )
    url = reverse(f"tasks:{name}", args=[task.pk] if needs_pk else [])
    got = {p: client_for(getattr(personas, p)).get(url).status_code for p in PERSONAS}
    assert got == {p: expected(name, p) for p in PERSONAS}
