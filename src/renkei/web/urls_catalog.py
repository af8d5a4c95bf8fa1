"""Search and catalog pages and the matches panel of a case; included by ``renkei.web.urls`` (namespace ``web``)."""

from django.urls import path

from .views import case_matches, catalog, search

urlpatterns = [
    # public (no login)
    path("search/", search.search_view, name="search"),
    path("search/suggest/jsic/", search.search_jsic_suggest_view, name="search_jsic_suggest"),
    path(
        "search/suggest/municipality/",
        search.search_municipality_suggest_view,
        name="search_municipality_suggest",
    ),
    path("catalog/<slug:kind>/", catalog.catalog_list_view, name="catalog_list"),
    path("catalog/<slug:kind>/<int:item_id>/", catalog.catalog_detail_view, name="catalog_detail"),
    # the matches panel of a case (staff)
    path("cases/<int:case_id>/matches/", case_matches.case_matches_view, name="case_matches"),
    path(
        "cases/<int:case_id>/matches/feedback/",
        case_matches.case_match_feedback_view,
        name="case_match_feedback",
    ),
]
