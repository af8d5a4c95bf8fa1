"""Changing one's own password (a company login's initial password above all)."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from .factories import UserFactory

URL = "/password/"


@pytest.fixture
def user(password):
    return UserFactory(username="login@example.jp")  # with the shared test password


def test_a_visitor_is_sent_to_the_login_page():
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_user_changes_their_password_and_stays_logged_in(user, password):
    client = Client()
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200 and "パスワードの変更" in page.content.decode()
    new = "Renkei-2026-hosomichi"
    response = client.post(
        URL, {"old_password": password, "new_password1": new, "new_password2": new}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "パスワードを変更しました。" in response.content.decode()
    assert authenticate(username=user.username, password=new) is not None
    assert authenticate(username=user.username, password=password) is None
    assert client.get(URL).status_code == 200  # the session survived the change


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old, new1, new2, message",
    [
        (
            "wrong-password",
            "Renkei-2026-hosomichi",
            "Renkei-2026-hosomichi",
            "元のパスワードが間違っています",
        ),
        (None, "Renkei-2026-hosomichi", "Renkei-2026-hosomichX", "確認用パスワードが一致しません"),
        (None, "123", "123", "このパスワードは短すぎます"),
    ],
)
def test_a_mistake_is_422_in_japanese_and_the_password_is_unchanged(user, password, old, new1, new2, message):
    client = Client()
    client.force_login(user)
    response = client.post(
        URL, {"old_password": old or password, "new_password1": new1, "new_password2": new2}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert authenticate(username=user.username, password=password) is not None
