"""The navigation bar is drawn from a copy kept per language, roles and links (issue 13,
scale) with the markup the template drew on every page."""

import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from campaign.models import Person, Role
from campaign.notifications import notify
from tests.conftest import make_person

# The bar as _nav.html drew it on every page, from the whole page's context.
TEMPLATE_NAV = """{% load i18n site_tags %}
<nav class="navbar navbar-expand-lg navbar-dark bg-campaign">
  <div class="container-lg">
    <a class="navbar-brand fw-bold" href="{% url 'home' %}">{% translate "Civilised City Campaign" %}</a>
    <button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#main-nav" aria-controls="main-nav" aria-expanded="false" aria-label="{% translate 'Menu' %}">
      <span class="navbar-toggler-icon"></span>
    </button>
    <div class="collapse navbar-collapse" id="main-nav">
      <ul class="navbar-nav me-auto">
        <li class="nav-item"><a class="nav-link" href="{% url 'home' %}">{% translate "Home" %}</a></li>
        {% if current_campaign %}
        {# Each app's main page, in the order staff use them. #}
        <li class="nav-item"><a class="nav-link" href="{% url 'campaign:system_list' %}">{% translate "Evaluation system" %}</a></li>
        <li class="nav-item"><a class="nav-link" href="{% if 'unit_leader' in nav_roles or 'unit_liaison' in nav_roles %}{% url 'tasks:task_mine' %}{% else %}{% url 'tasks:task_list' %}{% endif %}">{% translate "Tasks" %}</a></li>
        <li class="nav-item"><a class="nav-link" href="{% url 'inspections:finding_list' %}">{% translate "Ledger" %}</a></li>
        <li class="nav-item"><a class="nav-link" href="{% url 'fieldwork:point_list' %}">{% translate "Inspection points" %}</a></li>
        <li class="nav-item"><a class="nav-link" href="{% url 'fieldwork:map' %}">{% translate "Map" %}</a></li>
        {% if 'inspector' in nav_roles or 'office_admin' in nav_roles or 'leader' in nav_roles %}<li class="nav-item"><a class="nav-link" href="{% url 'fieldwork:round_list' %}">{% translate "Sampling rounds" %}</a></li>{% endif %}
        <li class="nav-item"><a class="nav-link" href="{% url 'reports:dashboard' %}">{% translate "Rankings and bulletins" %}</a></li>
        <li class="nav-item"><a class="nav-link" href="{% url 'campaign:unit_tree' %}">{% translate "Organisation" %}</a></li>
        {% endif %}
      </ul>
      <ul class="navbar-nav">
        <li class="nav-item">
          <a class="nav-link" href="{% url 'campaign:notification_list' %}" aria-label="{% translate 'Notifications' %}">
            <i class="bi bi-bell"></i><span class="d-lg-none"> {% translate "Notifications" %}</span>
            {% if nav_unread_count %}<span class="badge rounded-pill text-bg-warning">{{ nav_unread_count }}</span>{% endif %}
          </a>
        </li>
        <li class="nav-item dropdown">
          <a class="nav-link dropdown-toggle" href="#" role="button" data-bs-toggle="dropdown" aria-expanded="false">
            <i class="bi bi-person-circle"></i> {{ user }}
          </a>
          <ul class="dropdown-menu dropdown-menu-end">
            <li><a class="dropdown-item" href="{% url 'accounts:security_settings' %}">{% translate "Sign-in security" %}</a></li>
            <li><a class="dropdown-item" href="{% url 'campaign:notice_preferences' %}">{% translate "Notification settings" %}</a></li>
            {% if request|may_open:"campaign:audit_list" %}<li><a class="dropdown-item" href="{% url 'campaign:audit_list' %}">{% translate "Audit log" %}</a></li>{% endif %}
            {% if request|may_open:"accounts:security_admin" %}<li><a class="dropdown-item" href="{% url 'accounts:security_admin' %}">{% translate "Security administration" %}</a></li>{% endif %}
            <li>
              <form method="post" action="{% url 'set_language' %}">{% csrf_token %}
                <input type="hidden" name="next" value="{{ request.get_full_path }}">
                {% get_current_language as current %}
                {% if current == "en" %}<button class="dropdown-item" name="language" value="zh-hans">中文</button>
                {% else %}<button class="dropdown-item" name="language" value="en">English</button>{% endif %}
              </form>
            </li>
            <li>
              <form method="post" action="{% url 'logout' %}">{% csrf_token %}
                <button class="dropdown-item" type="submit">{% translate "Sign out" %}</button>
              </form>
            </li>
          </ul>
        </li>
      </ul>
    </div>
  </div>
</nav>
"""

NAV = re.compile(r'<nav class="navbar.*?</nav>', re.S)
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def drawn_by_the_template(response, language):
    """The old template's bar for the request behind `response` (its csrf token included)."""
    request = response.wsgi_request
    context = response.context
    with translation.override(language):
        return Template(TEMPLATE_NAV).render(
            Context(
                {
                    "request": request,
                    "user": request.user,
                    "current_campaign": context["current_campaign"],
                    "nav_roles": context["nav_roles"],
                    "nav_unread_count": context["nav_unread_count"],
                    "csrf_token": TOKEN.search(response.content.decode()).group(1),
                }
            )
        )


@pytest.fixture
def people(city, personas):
    """Every set of links the bar can show: the personas, the three administrators, someone
    holding two roles and someone in no campaign."""
    c = city.campaign
    auditor = make_person(c, "auditor", Role.AUDITOR, name="审计<员>")
    security = make_person(c, "security", Role.SECURITY_ADMIN, name='安全 "管理" & 员')
    system = make_person(c, "system", Role.SYSTEM_ADMIN)
    both = make_person(c, "both", Role.INSPECTOR, name="双重")
    both.memberships.create(campaign=c, role=Role.UNIT_LIAISON, unit=city.donghua)
    nobody = Person.objects.create_user(username="nobody", password="pw", name="<无>")
    notify(recipients=[personas.street_liaison, security, nobody], subject="一")
    notify(recipients=[personas.street_liaison], subject="二")
    return [
        personas.office_admin,
        personas.leader,
        personas.inspector,
        personas.command_staff,
        personas.district_leader,
        personas.street_liaison,
        auditor,
        security,
        system,
        both,
        nobody,
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bar_is_the_templates_markup(people, client_for, language):
    for person in people:
        client = client_for(person)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in ("/", '/org/notifications/preferences/?next=<b>&x="1"\''):
            response = client.get(url)
            assert response.status_code == 200, (person, url)
            (bar,) = NAV.findall(response.content.decode())
            assert bar == drawn_by_the_template(response, language).strip(), (person, url)


def test_the_bar_of_each_person_is_their_own(people, client_for):
    """The copies are kept per language and links: one person's never shows to another."""
    bars = {}
    for person in people:
        html = client_for(person).get("/").content.decode()
        bars[person.username] = NAV.search(html).group(0)
    assert "审计&lt;员&gt;" in bars["auditor"] and "/org/audit/" in bars["auditor"]
    assert "/org/audit/" not in bars["office"] and "/org/audit/" not in bars["security"]
    assert ">2</span>" in bars["donghua_ll"] and "badge" not in bars["office"]
