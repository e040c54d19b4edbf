"""Excel/CSV output of task lists in the layout offices circulate."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.exports import TabularExport

from .models import ProgressUpdate
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

    def rows(self):
        latest = ProgressUpdate.objects.filter(task=OuterRef("pk")).order_by("-at", "-pk")
        tasks = (
            self.tasks.with_light()
            .select_related("lead_unit")
            .prefetch_related("responsible_units")
            .annotate(latest_text=Subquery(latest.values("text")[:1]))
        )
        for number, task in enumerate(tasks, start=1):
            status = task.get_status_display()
            if task.light == "red":
                status = f"{status}（{_('overdue')}）"
            yield [
                number,
                task.title,
                task.lead_unit.name,
                "、".join(u.name for u in task.responsible_units.all()),
                task.deadline,
                progress_cell(task, task.latest_text),
                status,
                task.pk,
            ]
