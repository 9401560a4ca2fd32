from django.contrib import admin
from django.urls import include, path

from darkroom.api.api import api
from darkroom.web.views import healthz

admin.site.site_header = "Darkroom operator"

urlpatterns = [
    path("", include("darkroom.web.urls")),
    path("", include("darkroom.photos.urls")),
    path("", include("darkroom.studio.urls")),
    path("", include("darkroom.billing.urls")),
    path("", include("darkroom.accounts.urls")),
    path("", include("darkroom.notify.urls")),
    path("", include("darkroom.privacy.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("operator/", admin.site.urls),
]
