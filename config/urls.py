"""Top-level URL configuration: sign-in pages and home here, each app under its prefix."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from campaign import views as campaign_views

urlpatterns = [
    path("", campaign_views.home, name="home"),
    path("login/", campaign_views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.password_change, name="password_change"),
    path("account/", include("accounts.urls")),
    path("org/", include("campaign.urls")),
    path("ledger/", include("inspections.urls")),
    path("open311/v2/", include("inspections.open311")),
    path("tasks/", include("tasks.urls")),
    path("reports/", include("reports.urls")),
    path("field/", include("fieldwork.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Error pages in Chinese that render without the database (campaign/errors.py);
# 403 and 404 are templates/403.html and templates/404.html.
handler400 = "campaign.errors.bad_request"
handler500 = "campaign.errors.server_error"
