"""Pages are Chinese by default, whatever the browser prefers; English is a person's choice."""

from django.conf import settings


def test_an_english_browser_still_gets_chinese_pages(personas, client_for):
    client = client_for(personas.street_leader)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "我的角色" in html


def test_a_person_who_chooses_english_gets_english(personas, client_for):
    client = client_for(personas.street_leader)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert "My roles" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "我的角色" in client.get("/").content.decode()
