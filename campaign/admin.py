from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEntry, Campaign, CommandOffice, LoginAttempt, Membership, Person, Unit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit", "command_office"]


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
