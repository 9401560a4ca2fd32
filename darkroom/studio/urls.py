from django.urls import path

from darkroom.studio import views, webhooks

app_name = "studio"
urlpatterns = [
    path("jobs/", views.create, name="create"),
    path("jobs/<uuid:public_id>/", views.detail, name="detail"),
    path("jobs/<uuid:public_id>/status", views.status, name="status"),
    path("jobs/<uuid:public_id>/cancel", views.cancel, name="cancel"),
    path("jobs/<uuid:public_id>/retry", views.retry, name="retry"),
    path("hooks/replicate/<uuid:public_id>/", webhooks.replicate, name="replicate-webhook"),
]
