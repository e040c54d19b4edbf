"""Excel/CSV output of task lists in the layout offices circulate."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.exports import TabularExport, builder, query_dict

from .filters import TaskFilter
from .models import ProgressUpdate, Task, TaskPart
from .services import progress_cell


class TaskListExport(TabularExport):
    """序号, 任务, 牵头单位, 责任单位, 完成时限, 进展, 状态 — plus 任务编号, which the progress
    import uses to find each task again (units fill in 进展 and send the file back)."""

    column_widths = [6, 50, 16, 28, 12, 50, 14, 10]

    def __init__(self, tasks, *, campaign):
        self.tasks = tasks
        self.campaign = campaign

    def get_title(self):
        return _("%(campaign)s task list (as of %(date)s)") % {
            "campaign": self.campaign.name,
            "date": timezone.localdate().strftime("%Y-%m-%d"),
        }

    def get_filename(self):
        return _("task list %(date)s") % {"date": timezone.localdate().strftime("%Y%m%d")}

    def get_headers(self):
        return ["序号", "任务", "牵头单位", "责任单位", "完成时限", "进展", "状态", "任务编号"]

    def parts(self):
        return TaskPart.objects.filter(task__in=self.tasks.order_by().values("pk"))

    def count(self):
        return self.parts().count()

    def rows(self):
        """One row per unit's part: each unit fills in its own 进展."""
        latest = ProgressUpdate.objects.filter(part=OuterRef("pk")).order_by("-at", "-pk")
        parts = (
            self.parts()
            .with_light()
            .select_related("task__lead_unit", "unit")
            .annotate(latest_text=Subquery(latest.values("text")[:1]))
            .in_order()
            .order_by("task__deadline", "task_id", "role_rank", "unit__path")
        )
        for number, part in enumerate(parts.iterator(chunk_size=2000), start=1):
            task = part.task
            status = part.get_status_display()
            if part.light == "red":
                status = f"{status}（{_('overdue')}）"
            yield [
                number,
                task.title,
                task.lead_unit.name,
                part.unit.name,
                task.deadline,
                progress_cell(part, part.latest_text),
                status,
                task.pk,
            ]


@builder
def task_list_export(*, person, campaign, params):
    """The task list `person` sees, filtered like the list page by `params`."""
    task_filter = TaskFilter(
        query_dict(params) or None,
        queryset=Task.objects.visible_to(person).filter(campaign=campaign),
        user=person,
        campaign=campaign,
    )
    return TaskListExport(task_filter.qs.order_by("deadline", "pk"), campaign=campaign)
