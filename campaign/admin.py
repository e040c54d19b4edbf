from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import (
    AssessmentEvent,
    AuditEntry,
    Campaign,
    CommandOffice,
    EvaluationSystem,
    Evidence,
    IndicatorNode,
    LoginAttempt,
    Membership,
    Person,
    Standard,
    Unit,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "person"
    extra = 0
    autocomplete_fields = ["unit", "command_office"]
    # Roles end through the site's pages (with a reason and a hand-over), never by deletion.
    readonly_fields = ["started_at", "ended_at", "ended_by", "end_reason"]
    can_delete = False


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "name", "phone", "is_active"]
    search_fields = ["username", "name", "phone"]
    fieldsets = UserAdmin.fieldsets + ((None, {"fields": ["name", "phone", "title"]}),)
    inlines = [MembershipInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "city", "start_date", "end_date", "is_active"]


@admin.register(CommandOffice)
class CommandOfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "head"]
    search_fields = ["name"]
    filter_horizontal = ["units"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "campaign"]
    list_filter = ["kind", "campaign"]
    search_fields = ["name", "short_name"]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "ip_address", "succeeded"]
    list_filter = ["succeeded"]
    search_fields = ["username", "ip_address"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "summary"]
    list_filter = ["action", "object_type"]


# --- Evaluation systems -------------------------------------------------------------------


@admin.register(EvaluationSystem)
class EvaluationSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "year", "issuer", "pass_mark", "imported_at"]
    list_filter = ["campaign"]
    search_fields = ["name"]


@admin.register(IndicatorNode)
class IndicatorNodeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "system", "retired_at"]
    list_filter = ["system", "level"]
    search_fields = ["name"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__", "points", "is_veto", "lead_command_office", "assessment"]
    list_filter = ["system", "is_veto", "assessment", "difficulty", "lead_command_office"]
    search_fields = ["code", "text"]
    raw_id_fields = ["node", "lead_unit", "assessed_by"]
    filter_horizontal = ["responsible_units"]


@admin.register(AssessmentEvent)
class AssessmentEventAdmin(admin.ModelAdmin):
    list_display = ["at", "standard", "actor", "from_status", "to_status"]
    raw_id_fields = ["standard", "actor"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "standard", "kind", "taken_on", "uploaded_by", "removed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["standard", "uploaded_by"]
