"""The public search throttle: anonymous clients are counted per address and minute; staff are not."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from renkei.core import throttle
from renkei.core.errors import RateLimited

SEARCH = "/api/v1/search?q=樹脂の強度評価"


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    monkeypatch.setattr(throttle, "_clock", lambda: 1_800_000_030.0)  # one window for the whole test
    cache.clear()
    yield
    cache.clear()


def test_hit_counts_up_to_the_limit_then_refuses_and_zero_means_no_limit():
    assert [throttle.hit("t", "192.0.2.1", limit=2) for _ in range(4)] == [True, True, False, False]
    assert throttle.hit("t", "192.0.2.2", limit=2)  # another client has its own count
    assert throttle.hit("other", "192.0.2.1", limit=2)  # and another scope
    assert all(throttle.hit("t", "192.0.2.1", limit=0) for _ in range(10))


def test_a_new_window_starts_a_new_count(monkeypatch):
    assert [throttle.hit("t", "192.0.2.3", limit=1) for _ in range(2)] == [True, False]
    monkeypatch.setattr(throttle, "_clock", lambda: 1_800_000_090.0)
    assert throttle.hit("t", "192.0.2.3", limit=1)


def test_the_client_address_is_stored_only_as_a_keyed_hash():
    key = throttle._client_key("search", "192.0.2.77", 60)
    assert "192.0.2.77" not in key


@pytest.mark.django_db
def test_anonymous_api_searches_over_the_limit_get_429_problem_json(settings):
    settings.RENKEI_PUBLIC_SEARCH_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert [client.get(SEARCH).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(SEARCH)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert "1分間に3回まで" in response.json()["detail"]
    assert Client(REMOTE_ADDR="198.51.100.8").get(SEARCH).status_code == 200  # another address is not held up


@pytest.mark.django_db
def test_a_forwarded_for_header_is_not_believed_unless_the_deployment_says_so(settings):
    settings.RENKEI_PUBLIC_SEARCH_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="198.51.100.9")
    assert client.get(SEARCH, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get(SEARCH, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429
    settings.RENKEI_TRUST_X_FORWARDED_FOR = True
    assert client.get(SEARCH, HTTP_X_FORWARDED_FOR="203.0.113.3").status_code == 200


@pytest.mark.django_db
def test_logged_in_users_are_not_counted(settings, django_user_model):
    settings.RENKEI_PUBLIC_SEARCH_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="198.51.100.10")
    client.force_login(django_user_model.objects.create_user("someone", password=None))
    assert {client.get(SEARCH).status_code for _ in range(4)} == {200}


def test_check_public_search_raises_the_japanese_error(settings):
    settings.RENKEI_PUBLIC_SEARCH_PER_MINUTE = 1
    throttle.check_public_search(None, "192.0.2.50")
    with pytest.raises(RateLimited, match="検索が多すぎます"):
        throttle.check_public_search(None, "192.0.2.50")


@pytest.mark.django_db
def test_the_public_search_page_says_so_in_japanese_with_429_and_keeps_the_query(settings):
    settings.RENKEI_PUBLIC_SEARCH_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="198.51.100.11")
    assert client.get("/search/?q=樹脂の強度評価").status_code == 200
    assert client.get("/search/").status_code == 200  # the bare form is not a search and is not counted
    response = client.get("/search/?q=樹脂の強度評価")
    assert response.status_code == 429
    body = response.content.decode()
    assert "検索が多すぎます" in body and "1分間に1回まで" in body
    assert 'value="樹脂の強度評価"' in body  # what was typed is still in the box
