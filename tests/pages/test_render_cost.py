"""What list pages spend per row (issue 13, scale): labels of choices are looked up, not
rebuilt and translated for every row."""

from unittest import mock

import pytest
from django.db.models import Model
from django.utils import translation
from django.utils.translation import trans_real

from campaign.models import Membership, Standard, Unit
from inspections.models import Finding, Severity, Status, SupervisionLevel
from tasks.models import Task, TaskPart


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Finding, "status"),
        (Finding, "severity"),
        (Finding, "supervision_level"),
        (Task, "status"),
        (Task, "priority"),
        (TaskPart, "status"),
        (Standard, "assessment"),
        (Standard, "difficulty"),
        (Unit, "kind"),
        (Membership, "role"),
    ],
)
def test_choice_labels_are_djangos_in_chinese(model, field):
    display = getattr(model, f"get_{field}_display")
    generic = model._meta.get_field(field)
    with translation.override("zh-hans"):
        for value, _label in generic.flatchoices:
            row = model(**{generic.attname: value})
            assert display(row) == Model._get_FIELD_display(row, generic)
            assert isinstance(display(row), str)
        # Not a choice (a legacy value): answered as Django does, the value itself.
        row = model(**{generic.attname: "legacy"})
        assert display(row) == "legacy"


def test_a_label_is_translated_once_per_row():
    rows = [
        Finding(status=status, severity=Severity.SERIOUS, supervision_level=SupervisionLevel.NONE)
        for status in Status.values
    ]
    with (
        translation.override("zh-hans"),
        mock.patch.object(translation._trans, "gettext", wraps=trans_real.gettext) as tr,
    ):
        shown = [row.get_status_display() for row in rows]
    assert shown[0] != Status.values[0]  # translated
    assert tr.call_count == len(rows)


def test_select_written_in_python_is_the_templates_markup():
    import re

    from django import forms
    from django.forms.renderers import TemplatesSetting

    from campaign.widgets import FormRenderer

    select = forms.Select(
        choices=[("", "All"), ("a<b", 'x "&" <y>'), ("Group <g>", [("1", "one"), ("2", "二")])]
    )

    def markup(renderer):
        html = select.render("f", "1", attrs={"id": "id_f"}, renderer=renderer)
        return re.sub(r"\s+", " ", html).replace(" >", ">")

    assert markup(FormRenderer()) == markup(TemplatesSetting())
    assert '<option value="1" selected>one</option>' in markup(FormRenderer())


@pytest.mark.parametrize(
    ("assessment", "colour"),
    [
        ("met", "text-bg-success"),
        ("mostly_met", "text-bg-warning"),
        ("not_met", "text-bg-danger"),
        ("not_assessed", "text-bg-light border"),
    ],
)
def test_assessment_badge_written_in_python(assessment, colour):
    from campaign.templatetags.indicator_tags import assessment_badge

    standard = Standard(assessment=assessment)
    with translation.override("zh-hans"):
        label = standard.get_assessment_display()
        assert assessment_badge(standard) == f'<span class="badge {colour}">{label}</span>'
    assert "未" in label or "达标" in label


def test_finding_status_and_deadline_written_in_python():
    import datetime

    from inspections.templatetags.ledger_tags import finding_deadline, finding_status

    late = datetime.date.today() - datetime.timedelta(days=1)
    finding = Finding(
        status=Status.ASSIGNED, deadline=late, supervision_level=SupervisionLevel.LISTED
    )
    with translation.override("zh-hans"):
        status = finding_status(finding)
        deadline = finding_deadline(finding)
        overdue = translation.gettext("overdue")
    assert status.startswith(f'<span class="badge text-bg-{finding.colour}')
    assert "挂牌督办" in status and "border-danger-subtle" in status
    assert deadline == f'<span class="status-red fw-semibold">{late.isoformat()} · {overdue}</span>'
    assert overdue != "overdue"
    finding.deadline = None
    assert finding_deadline(finding) == "—"
