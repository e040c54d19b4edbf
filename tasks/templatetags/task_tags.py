"""The tasks app's part of the home page, and a task's badges and list rows.

Badges and rows are written here, not included per row: two includes and a dozen lookups
per row were most of the task list's render. The markup is the templates' it replaced."""

import functools
from html import escape

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from campaign.links import pk_url_parts
from campaign.templatetags.site_tags import to_do_tiles, truncated
from tasks.filters import TO_DO, TaskFilter, to_do_keys
from tasks.models import Task, status_colour

register = template.Library()


@register.simple_tag(takes_context=True)
def task_to_dos(context):
    """Counts of the person's tasks to report or accept, and of overdue ones."""
    request = context["request"]
    campaign = request.campaign
    visible = Task.objects.visible_to(request.user).filter(campaign=campaign)
    wanted = [({"todo": key}, TO_DO[key]) for key in to_do_keys(request.user, campaign)]
    wanted.append(({"overdue": "true"}, _("Overdue tasks")))
    return to_do_tiles(
        lambda query: TaskFilter(query, queryset=visible, user=request.user, campaign=campaign),
        wanted,
        reverse("tasks:task_list"),
    )


# A light's badge: colour, title (the task's badge only), icon and label.
_LIGHT_BADGES = {
    "red": (
        "danger",
        gettext_noop("Overdue (red)"),
        "exclamation-octagon",
        gettext_noop("Overdue"),
    ),
    "yellow": (
        "warning",
        gettext_noop("Deadline near (yellow)"),
        "alarm",
        gettext_noop("Due soon"),
    ),
}


@functools.cache
def _words(language):
    """A table's translated words, escaped, in `language`: looked up once per language, not
    translated again in every row (a row's badges and cells needed five translations)."""
    with translation.override(language):
        return {
            "status": {value: escape(str(label)) for value, label in Task.Status.choices},
            "priority": {value: escape(str(label)) for value, label in Task.Priority.choices},
            "task_light": {
                light: (
                    f' <span class="badge text-bg-{colour}" title="{escape(_(title))}">'
                    f'<i class="bi bi-{icon}"></i> {escape(_(label))}</span>'
                )
                for light, (colour, title, icon, label) in _LIGHT_BADGES.items()
            },
            "part_light": {
                light: (
                    f' <span class="badge text-bg-{colour}"><i class="bi bi-{icon}"></i>'
                    f" {escape(_(label))}</span>"
                )
                for light, (colour, _title, icon, label) in _LIGHT_BADGES.items()
            },
            "select": escape(_("Select")),
            "progress": escape(_("Progress")),
        }


def _status_badge(status, light, words, extra=""):
    colour = status_colour(status, light)
    border = " border" if colour == "light" else ""
    # A value outside the choices is shown as itself, as get_status_display() does.
    label = words["status"].get(status) or escape(status)
    return f'<span class="badge text-bg-{colour}{border}{extra}">{label}</span>'


def _task_badges(status, light, priority, words):
    html = _status_badge(status, light, words) + words["task_light"].get(light, "")
    if priority != Task.Priority.NORMAL:
        label = words["priority"].get(priority) or escape(priority)
        html += f' <span class="badge text-bg-light border text-danger">{label}</span>'
    return html


@register.filter
def task_badges(task):
    """The status badge, red or yellow when the deadline is past or near, and the priority."""
    words = _words(get_language())
    return mark_safe(_task_badges(task.status, task.light, task.priority, words))


@register.filter
def part_badges(part):
    """A unit's part: its status badge, red or yellow when its work is late or due soon."""
    words = _words(get_language())
    html = _status_badge(part.status, part.light, words, " part-status")
    html += words["part_light"].get(part.light, "")
    return mark_safe(f'<span class="text-nowrap">{html}</span>')


@register.filter
def task_row(task, can_manage):
    """One row of the task list (tasks/_task_table.html): `task` is one of the list's value
    rows (`tasks.views.ROW_FIELDS`, `light` and `responsible_names`)."""
    e = escape
    words = _words(get_language())
    before, after = pk_url_parts("tasks:task_detail")
    pk, title, light = task["pk"], task["title"], task["light"]
    select = ""
    if can_manage:
        select = (
            '<td class="text-center cell-select"><input class="form-check-input" type="checkbox"'
            f' name="tasks" value="{pk}" aria-label="{words["select"]} {e(title)}"></td>'
        )
    late = " text-danger fw-semibold" if light == "red" else ""
    badges = _task_badges(task["status"], light, task["priority"], words)
    cells = [
        select,
        f'<td><a href="{e(f"{before}{pk}{after}")}">{e(truncated(title, 80))}</a></td>',
        f'<td class="text-nowrap">{e(task["lead_unit_name"])}</td>',
        '<td class="d-none d-lg-table-cell small">'
        f"{'、'.join(e(name) for name in task['responsible_names']) or '—'}</td>",
        f'<td class="d-none d-md-table-cell small">{e(task["command_office_name"] or "—")}</td>',
        f'<td class="text-nowrap{late}">{task["deadline"].isoformat()}</td>',
        f'<td class="text-end">{task["progress"]}%</td>',
        f'<td class="small">{badges}</td>',
    ]
    return mark_safe("<tr>\n        " + "\n        ".join(cells) + "\n      </tr>")


@register.filter
def task_card(task):
    """One card of "my tasks" (phones first): `task` is one of the page's value rows
    (`tasks.views.ROW_FIELDS` and `light`)."""
    e = escape
    words = _words(get_language())
    before, after = pk_url_parts("tasks:task_detail")
    pk, light, progress = task["pk"], task["light"], task["progress"]
    border = {"red": " border-danger", "yellow": " border-warning"}.get(light, "")
    late = "text-danger fw-semibold" if light == "red" else ""
    done = " bg-success" if task["status"] == Task.Status.ACCEPTED else ""
    badges = _task_badges(task["status"], light, task["priority"], words)
    return mark_safe(
        f'<a class="card text-decoration-none text-body task-card{border}"'
        f' href="{e(f"{before}{pk}{after}")}">\n'
        '    <div class="card-body py-2">\n'
        f'      <div class="fw-semibold mb-1">{e(task["title"])}</div>\n'
        f'      <div class="small mb-1">{badges}</div>\n'
        '      <div class="small text-muted d-flex flex-wrap gap-3">\n'
        f'        <span><i class="bi bi-building"></i> {e(task["lead_unit_name"])}</span>\n'
        f'        <span class="{late}"><i class="bi bi-calendar-event"></i>'
        f" {task['deadline'].isoformat()}</span>\n"
        "      </div>\n"
        f'      <div class="progress mt-2" role="progressbar" aria-label="{words["progress"]}"'
        f' aria-valuenow="{progress}" aria-valuemin="0" aria-valuemax="100"'
        ' style="height: 1.1rem">\n'
        f'        <div class="progress-bar{done}" style="width: {progress}%">'
        f"{progress}%</div>\n"
        "      </div>\n"
        "    </div>\n"
        "  </a>"
    )


@register.filter
def battle_cell(c):
    """A battle map cell's figures: accepted / total, mean progress, overdue parts."""
    e = conditional_escape
    html = f'<span title="{e(_("accepted / total"))}">{c.accepted}/{c.total}</span> · {c.progress}%'
    if c.overdue:
        html += (
            f' · <span class="text-danger fw-semibold" title="{e(_("overdue"))}">'
            f'<i class="bi bi-exclamation-octagon"></i>{c.overdue}</span>'
        )
    return mark_safe(html)


@register.simple_tag
def battle_row(office, cells):
    """The unit cells of one command office's row, each linking to its tasks on the list."""
    link = reverse("tasks:task_list") + "?unit={}"
    if office:
        link += f"&amp;command_office={office.pk}"
    html = []
    for unit, c in cells:
        colour = f"bm-{c.colour}" if c.colour else ""
        if c.total:
            inner = (
                f'<a class="text-reset text-decoration-none" href="{link.format(unit.pk)}">'
                f"{battle_cell(c)}</a>"
            )
        else:
            inner = '<span class="text-muted">·</span>'
        html.append(f'<td class="{colour}">{inner}</td>')
    return mark_safe("".join(html))
