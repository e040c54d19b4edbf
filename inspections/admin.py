from django.contrib import admin

from campaign.admin import ReadOnlyAdmin

from .models import (
    Finding,
    FindingCategory,
    FindingEvent,
    FindingPhoto,
    Inspection,
    Interview,
    LedgerSettings,
    SupervisionOrder,
)


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "team", "area", "campaign"]
    list_filter = ["kind", "campaign"]


@admin.register(FindingCategory)
class FindingCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "position", "is_active", "campaign"]
    list_filter = ["campaign", "is_active"]


@admin.register(LedgerSettings)
class LedgerSettingsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "days_minor", "days_serious", "days_critical"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FindingEventInline(ReadOnlyInline):
    model = FindingEvent
    fields = ["at", "actor", "action", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Read-only here: every change goes through the ledger's own pages and their rules."""

    list_display = [
        "code",
        "found_on",
        "category",
        "unit",
        "status",
        "deadline",
        "supervision_level",
    ]
    list_filter = ["status", "severity", "source", "campaign"]
    search_fields = ["description", "address"]
    inlines = [FindingEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(FindingPhoto)
class FindingPhotoAdmin(admin.ModelAdmin):
    list_display = ["finding", "kind", "is_public", "taken_at", "uploaded_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "finding", "level", "issued_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    """Interviews are recorded on the finding's page, through its rules."""

    list_display = ["finding", "unit", "interviewees", "held_at"]
