# Load the Celery app with Django, so that jobs and the outbox kick use it.
from .celery import app as celery_app

__all__ = ("celery_app",)
