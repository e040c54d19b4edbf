"""The site's URLs plus views that fail on purpose, for the error-page tests."""

from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError
from django.urls import path

from config.urls import handler400, handler500, urlpatterns  # noqa: F401


@login_not_required
def fail(request):
    raise RuntimeError("a bug")


@login_not_required
def lose_database(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    *urlpatterns,
    path("test-fail/", fail),
    path("test-lose-database/", lose_database),
]
