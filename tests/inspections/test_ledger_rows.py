"""The ledger's rows are written in Python: the same markup, escaped, as the row template
they replace (kept here as the reference)."""

import datetime

from django.db.models import Prefetch
from django.template import Context, RequestContext, Template
from django.urls import reverse

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from inspections.models import Finding, Status, SupervisionLevel, SupervisionOrder
from inspections.templatetags.ledger_tags import (
    finding_cards,
    finding_rows,
    ledger_count_links,
    supervision_rows,
)
from inspections.views import CARD_VALUES, ROW_VALUES, SUPERVISION_VALUES

ROW_TEMPLATE = """{% load ledger_tags %}{% for f in page %}
      <tr>
        <td class="text-nowrap"><a href="{{ f.get_absolute_url }}">{{ f.code }}</a></td>
        <td class="text-nowrap">{{ f.found_on|date:"m-d" }}</td>
        <td>{{ f.category|default:"—" }}<div class="small text-muted">{{ f.get_severity_display }}</div></td>
        <td>{{ f.description|truncatechars:50 }}{% if f.standard %}<div class="small text-muted">{{ f.standard.code }}</div>{% endif %}</td>
        <td>{{ f.address|truncatechars:30 }}{% if f.territory %}<div class="small text-muted">{{ f.territory }}</div>{% endif %}</td>
        <td>{{ f.unit|default:"—" }}</td>
        <td class="text-nowrap">{{ f|finding_deadline }}</td>
        <td>{{ f|finding_status }}</td>
      </tr>
    {% empty %}
      <tr><td colspan="8" class="text-center text-muted py-4">{% translate "No findings match." %}</td></tr>
    {% endfor %}"""  # noqa: E501


def test_rows_are_the_markup_of_the_row_template(make_finding, city):
    """The rows are written from value rows (inspections.views.ROW_VALUES), the template
    read findings: the same findings give the same markup."""
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    node = IndicatorNode.objects.create(system=system, level=0, name="城市管理")
    standard = Standard.objects.create(system=system, node=node, code="5.1&<", text="无", points=1)
    first = make_finding(
        "registered", description="<b>摊点</b> & " + "占道" * 40, address='东华路"1"号'
    )
    make_finding("assigned", standard=standard, category=None, territory=None)
    late = make_finding("rectifying", address="<script>")
    Finding.objects.filter(pk=late.pk).update(
        supervision_level=SupervisionLevel.NORMAL, deadline=datetime.date(2020, 1, 1)
    )
    relapse = make_finding("registered")
    Finding.objects.filter(pk=relapse.pk).update(relapse_of=first, unit=None)
    findings = Finding.objects.select_related("category", "unit", "territory", "standard")
    findings = list(findings.order_by("pk"))

    expected = Template("{% load i18n %}" + ROW_TEMPLATE).render(Context({"page": findings}))
    rows = Finding.objects.order_by("pk").values(*ROW_VALUES)
    assert finding_rows(rows) == expected[expected.index("\n") :]
    assert "&lt;b&gt;摊点&lt;/b&gt; &amp;" in expected
    assert "5.1&amp;&lt;" in expected
    assert "overdue" in expected or "逾期" in expected
    assert expected.count("bg-warning-subtle") == 1  # the relapse


def test_an_empty_ledger_says_no_findings_match(personas, client_for):
    client = client_for(personas.office_admin)
    html = client.get(reverse("inspections:finding_list"), {"q": "无此问题"}).content.decode()

    expected = Template("{% load i18n %}" + ROW_TEMPLATE).render(Context({"page": []}))
    assert finding_rows([]) == expected[expected.index("\n") :]
    assert finding_rows([]) in html


# With the notice links as the include (inspections/_notice_links.html) wrote them.
SUPERVISION_TEMPLATE = """{% load i18n ledger_tags %}{% for f in page %}
    <tr>
      <td class="small">{% for o in f.supervision_orders.all %}<div class="text-nowrap">{{ o.number }}</div>
<div class="notice-links text-nowrap"><a href="{% url 'inspections:supervisionorder_pdf' o.pk %}" download>{% translate "Notice (PDF)" %}</a> · <a href="{% url 'inspections:supervisionorder_docx' o.pk %}" download>{% translate "Notice (Word)" %}</a></div>
{% endfor %}</td>
      <td><span class="badge text-bg-danger">{{ f.get_supervision_level_display }}</span></td>
      <td><a href="{{ f.get_absolute_url }}">{{ f.code }}</a> {{ f.category|default:"" }}<div class="small text-muted">{{ f.address|truncatechars:30 }}</div></td>
      <td>{{ f.unit|default:"—" }}</td>
      <td class="text-nowrap">{{ f|finding_deadline }}</td>
      <td>{{ f.get_status_display }}</td>
    </tr>
  {% empty %}
    <tr><td colspan="6" class="text-center text-muted py-4">{% translate "No findings are under supervision." %}</td></tr>
  {% endfor %}"""  # noqa: E501


def test_supervision_rows_are_the_markup_of_the_row_template(make_finding, personas):
    """The rows are written from value rows (inspections.views.SUPERVISION_VALUES) with their
    orders' values, the template read findings and their orders: the same markup."""
    both = make_finding("rectifying", address="<东华路>" + "号" * 40)
    both.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    both.refresh_from_db()
    both.supervise(actor=personas.office_admin, level=SupervisionLevel.LISTED)
    Finding.objects.filter(pk=both.pk).update(deadline=datetime.date(2020, 1, 1))
    one = make_finding("assigned", category=None)
    one.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    Finding.objects.filter(pk=one.pk).update(unit=None)
    findings = list(
        Finding.objects.filter(supervision_level__gt=0)
        .select_related("unit", "category")
        .prefetch_related(
            Prefetch("supervision_orders", queryset=SupervisionOrder.objects.order_by("level"))
        )
        .order_by("pk")
    )
    rows = list(
        Finding.objects.filter(supervision_level__gt=0).order_by("pk").values(*SUPERVISION_VALUES)
    )
    for row in rows:
        orders = SupervisionOrder.objects.filter(finding_id=row["pk"]).order_by("level")
        row["orders"] = list(orders.values("pk", "year", "sequence"))

    expected = Template(SUPERVISION_TEMPLATE).render(Context({"page": findings}))
    assert supervision_rows(rows) == expected
    assert supervision_rows([]) == Template(SUPERVISION_TEMPLATE).render(Context({"page": []}))
    assert "&lt;东华路&gt;" in expected and expected.count("notice-links") == 3
    assert "status-red" in expected


def test_the_supervision_list_shows_each_findings_orders(make_finding, personas, client_for):
    supervised = make_finding("rectifying")
    supervised.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    make_finding("assigned").supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    numbers = [o.number for o in SupervisionOrder.objects.order_by("pk")]

    html = client_for(personas.office_admin).get(reverse("inspections:supervision_list")).content
    assert all(html.decode().count(number) == 1 for number in numbers)


# inspections/_finding_cards.html, which `ledger_tags.finding_cards` replaces.
CARDS_TEMPLATE = """{% load i18n ledger_tags %}<div class="list-group mb-3">
  {% for f in findings %}
  <a class="list-group-item list-group-item-action" href="{{ f.get_absolute_url }}">
    <div class="d-flex justify-content-between gap-2"><span class="fw-semibold">{{ f.category|default:"—" }} · {{ f.address|truncatechars:28 }}</span><span class="text-muted small text-nowrap">{{ f.code }}</span></div>
    <div class="small text-body-secondary">{{ f.description|truncatechars:70 }}</div>
    <div class="small mt-1">{{ f|finding_status }} <span class="text-muted">{{ f.unit|default:"" }}</span> {{ f|finding_deadline }}{% if f.channel %} <span class="badge text-bg-light border">{% blocktranslate with channel=f.channel %}via {{ channel }}{% endblocktranslate %}</span>{% endif %}</div>
  </a>
  {% empty %}
  <div class="list-group-item text-muted small">{% translate "Nothing here." %}</div>
  {% endfor %}
</div>
"""  # noqa: E501


def test_cards_are_the_markup_of_the_cards_template(make_finding):
    """The cards are written from value rows (inspections.views.CARD_VALUES), the template
    read findings: the same findings give the same markup."""
    first = make_finding(
        "assigned", description="<i>摊点</i> " + "占道" * 50, channel="12345 <热线>"
    )
    make_finding("registered", category=None, address="&")
    late = make_finding("rectifying", address="<东华路>")
    Finding.objects.filter(pk=late.pk).update(
        supervision_level=SupervisionLevel.LISTED, deadline=datetime.date(2020, 1, 1), unit=None
    )
    relapse = make_finding("registered")
    Finding.objects.filter(pk=relapse.pk).update(relapse_of=first)
    findings = list(Finding.objects.select_related("category", "unit").order_by("pk"))
    rows = list(Finding.objects.order_by("pk").values(*CARD_VALUES))

    for shown, values in ((findings, rows), ([], [])):
        expected = Template(CARDS_TEMPLATE).render(Context({"findings": shown}))
        assert finding_cards(values) == expected
    cards = finding_cards(rows)
    assert "经 12345 &lt;热线&gt;" in cards and "&lt;东华路&gt;" in cards
    assert "status-red" in cards and "bg-warning-subtle" in cards


# The counts bar's links as inspections/_finding_table.html wrote them in a loop.
COUNT_LINKS_TEMPLATE = """{% load i18n %}{% for value, label, n in counts %}{% if n %}<a class="badge text-bg-light border fw-normal text-decoration-none" href="{% querystring status=value page=None %}">{{ label }} <strong>{{ n }}</strong></a>{% endif %}{% endfor %}
  {% if overdue_count %}<a class="badge text-bg-danger fw-normal text-decoration-none" href="{% querystring overdue='true' page=None %}">{% translate "Overdue" %} <strong>{{ overdue_count }}</strong></a>{% endif %}"""  # noqa: E501


def test_count_links_are_the_markup_of_the_template_loop(rf):
    request = rf.get("/ledger/", {"q": '<东华路> & "1"', "page": "3", "status": "closed"})
    shown = [3, 0, "1000+"]
    counts = [
        (value, label, n) for (value, label), n in zip(Status.choices[:3], shown, strict=True)
    ]
    for overdue_count in (2, 0):
        context = RequestContext(request, {"counts": counts, "overdue_count": overdue_count})
        expected = Template(COUNT_LINKS_TEMPLATE).render(context)
        assert ledger_count_links(context, counts, overdue_count) == expected
    assert "&amp;" in expected and "page=" not in expected and "1000+" in expected
