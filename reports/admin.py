from django.contrib import admin

from .models import Bulletin, BulletinSettings, PeriodSnapshot, ScoringRule


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ["campaign", "base_score", "min_findings_for_rate", "min_tasks_for_rate"]


@admin.register(BulletinSettings)
class BulletinSettingsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "is_enabled", "weekday", "time", "auto_publish"]


@admin.register(PeriodSnapshot)
class PeriodSnapshotAdmin(admin.ModelAdmin):
    list_display = ["campaign", "period", "taken_at"]
    list_filter = ["campaign"]


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ["document_number", "number", "period", "status", "published_at"]
    list_filter = ["campaign", "status"]
    readonly_fields = ["data", "pdf", "status", "published_at", "published_by", "emailed_at"]
