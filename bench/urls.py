"""The app's URLs plus the benchmark floors under /_floor/ (used only by bench/run.py)."""

from django.urls import include, path

from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("_floor/", include("bench.floors")), *app_urlpatterns]
