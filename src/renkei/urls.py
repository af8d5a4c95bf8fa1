from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path

from renkei.api.api import api

admin.site.site_header = "renkei 管理"
admin.site.site_title = "renkei 管理"


def _superuser_only(request: HttpRequest) -> bool:
    """The Django admin is a back office for superusers; staff work in the renkei screens."""
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superuser_only

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("renkei.web.urls")),
]
