from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "darkroom.photos"
    label = "photos"
