from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "darkroom.accounts"
    label = "accounts"
