from django.contrib import admin

from .models import Milestone, ProgressUpdate, Task, TaskEvent


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class ReadOnlyInline(admin.TabularInline):
    """History rows are append-only: shown, never edited or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TaskEventInline(ReadOnlyInline):
    model = TaskEvent
    fields = ["at", "actor", "kind", "from_status", "to_status", "note"]
    readonly_fields = fields


class ProgressUpdateInline(ReadOnlyInline):
    model = ProgressUpdate
    fields = ["at", "author", "progress", "text", "submitted"]
    readonly_fields = fields


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "lead_unit",
        "command_office",
        "deadline",
        "status",
        "progress",
    ]
    list_filter = ["status", "priority", "command_office"]
    search_fields = ["title"]
    raw_id_fields = ["standard", "item", "lead_unit"]
    filter_horizontal = ["responsible_units", "cooperating_units"]
    # State changes go through the site's pages, which keep the history.
    readonly_fields = ["status", "progress", "version", "created_by"]
    inlines = [MilestoneInline, ProgressUpdateInline, TaskEventInline]
