from django.contrib import admin
from django.urls import include, path

from renkei.api.api import api

admin.site.site_header = "renkei 管理"
admin.site.site_title = "renkei 管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("renkei.web.urls")),
]
