from django.urls import path

from darkroom.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/accept/", views.accept_policy, name="accept_policy"),
]
