"""Celery settings that decide whether a killed or crashed worker loses or repeats work."""

from django.conf import settings

from config.celery import app


def test_a_killed_child_gives_its_message_back():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


def test_no_job_may_run_longer_than_the_visibility_timeout():
    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    jobs = {name: job for name, job in app.tasks.items() if not name.startswith("celery.")}
    assert "campaign.jobs.relay_outbox" in jobs
    for name, job in jobs.items():
        limit = job.time_limit or app.conf.task_time_limit
        assert limit and limit < visibility, name
    # …and the timeout is minutes, not the hour a crashed worker's jobs used to wait.
    assert visibility <= 15 * 60


def test_every_beat_entry_names_a_job_and_the_outbox_relay_runs_every_minute():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry
    assert app.conf.beat_schedule["relay-outbox"]["schedule"] == 60.0
