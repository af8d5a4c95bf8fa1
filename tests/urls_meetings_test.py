"""URLs for the meeting tests until the lead wires them: the project's URLs, the meeting pages inside the ``web``
namespace, and the meetings API router mounted on its own API at /api/test-meetings/."""

from django.contrib import admin
from django.urls import include, path

from renkei.api import errors
from renkei.api.api import RenkeiAPI, api
from renkei.api.auth import STAFF_AUTH
from renkei.cases.api_meetings import router as meetings_router
from renkei.web import urls as web_urls
from renkei.web import urls_meetings

meetings_api = RenkeiAPI(
    title="meetings (test)", version="test", urls_namespace="meetings_test_api", auth=STAFF_AUTH
)
errors.install(meetings_api)
meetings_api.add_router("/meetings", meetings_router)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/test-meetings/", meetings_api.urls),
    path("", include((urls_meetings.urlpatterns + web_urls.urlpatterns, "web"), namespace="web")),
]
