from django.urls import path

from darkroom.accounts import views

app_name = "accounts"
urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/usage/", views.usage, name="usage"),
]
