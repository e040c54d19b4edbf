"""Losing the database connection: a dropped kept connection is replaced before use; a
request that loses it before committing answers a Chinese, retryable 503; one that loses it
after committing answers "saved", never an error. On PostgreSQL, by terminating our own
test database's backends."""

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from inspections import views
from inspections.models import Finding, FindingPhoto
from tests.inspections.test_pages import entry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _new_connection_afterwards(transactional_db):
    yield
    connection.close()  # the test killed this thread's connection: the flush needs a new one


def terminate_backends(*, own=False):
    """Terminate connections to the test database: every other one, or this thread's own."""
    with connection.cursor() as cursor:
        if own:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        else:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def test_a_kept_connection_the_server_dropped_is_replaced_before_the_next_request(campaign):
    client = Client()
    url = reverse("inspections:citizen_report")
    assert client.get(url).status_code == 200  # this thread now keeps a connection
    # The server drops it (restart, failover, an idle-connection killer) …
    killer = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    killer.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    killer.close()
    # … and the next request, as a web server thread starts it, still answers.
    close_old_connections()
    assert client.get(url).status_code == 200


def test_losing_the_connection_before_commit_answers_a_retryable_503(
    personas, city, category, client_for, monkeypatch
):
    add_photo = FindingPhoto.add

    def lose_connection_midway(*args, **kwargs):
        photo = add_photo(*args, **kwargs)
        terminate_backends(own=True)  # inside log_finding's transaction, before its commit
        return photo

    monkeypatch.setattr(FindingPhoto, "add", lose_connection_midway)
    client = client_for(personas.inspector)
    client.raise_request_exception = False
    response = client.post(reverse("inspections:finding_create"), entry(category, city))
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert "系统暂时不可用" in html and "没有保存" in html
    connection.close()
    assert not FindingPhoto.objects.exists()
    assert not Finding.objects.exists()


def test_losing_the_connection_after_commit_never_answers_failed(
    personas, city, category, client_for, monkeypatch
):
    near_duplicates = views._near_duplicates

    def lose_connection_after_commit(finding):
        terminate_backends(own=True)
        return near_duplicates(finding)

    monkeypatch.setattr(views, "_near_duplicates", lose_connection_after_commit)
    client = client_for(personas.inspector)
    client.raise_request_exception = False
    response = client.post(reverse("inspections:finding_create"), entry(category, city))
    html = response.content.decode()
    assert response.status_code == 200
    assert "已经保存成功" in html and "请不要重复提交" in html
    connection.close()
    assert Finding.objects.count() == 1
