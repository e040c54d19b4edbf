from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from accounts.services import set_password

from .forms import AdminLoginForm
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
    OutboxMessage,
    Person,
    Standard,
    Unit,
)
from .request_context import current_request

# /admin/login/ is throttled and recorded like the site's sign-in.
admin.site.login_form = AdminLoginForm


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that nobody edits or deletes, not even a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PasswordSetByAdminForm(AdminPasswordChangeForm):
    """A password set in /admin/ goes through the account service: validated, audited, and
    to be changed by the person at next sign-in."""

    def save(self, commit=True):
        set_password(self.user, self.cleaned_data["password1"], by=current_request().user)
        return self.user


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit", "command_office"]


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "name", "phone", "is_active"]
    search_fields = ["username", "name", "phone"]
    fieldsets = UserAdmin.fieldsets + (
        (None, {"fields": ["name", "phone", "title", "must_change_password"]}),
    )
    inlines = [MembershipInline]
    change_password_form = PasswordSetByAdminForm

    def save_model(self, request, obj, form, change):
        if not change:
            obj.must_change_password = True  # the first password was chosen by the admin
        super().save_model(request, obj, form, change)


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
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "ip_address", "succeeded", "refused"]
    list_filter = ["succeeded", "refused"]
    search_fields = ["username", "ip_address"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "outcome", "ip_address", "summary"]
    list_filter = ["action", "outcome"]
    search_fields = ["summary", "actor__username", "ip_address"]


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
class AssessmentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "standard", "actor", "from_status", "to_status"]
    raw_id_fields = ["standard", "actor"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "standard", "kind", "taken_on", "uploaded_by", "removed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["standard", "uploaded_by"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Side effects waiting or delivered; a row that failed ten times waits here with its error."""

    list_display = ["created_at", "kind", "idempotency_key", "attempts", "delivered_at"]
    list_filter = ["kind", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["idempotency_key", "last_error"]
