from django.urls import path

from darkroom.photos import views

app_name = "photos"
urlpatterns = [
    path("photos/", views.gallery, name="gallery"),
    path("photos/upload/", views.upload, name="upload"),
    path("photos/delete/", views.bulk_delete, name="bulk_delete"),
    path("photos/<uuid:public_id>/", views.detail, name="detail"),
    path("photos/<uuid:public_id>/file/<str:variant>", views.file, name="file"),
    path("photos/<uuid:public_id>/delete/", views.delete, name="delete"),
    path("files/<str:token>", views.signed, name="signed"),
]
