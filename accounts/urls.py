from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("security/", views.security_settings, name="security_settings"),
    path("activate/", views.activate_start, name="activate_start"),
    path("activate/<str:code>/", views.activate, name="activate"),
    path("people/<int:pk>/activation/", views.person_activation, name="person_activation"),
    path("security-admin/", views.security_admin, name="security_admin"),
    path(
        "security-admin/people/<int:pk>/reset-two-factor/",
        views.two_factor_reset,
        name="two_factor_reset",
    ),
]
