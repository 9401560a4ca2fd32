from django.urls import path

from darkroom.privacy import deletion_views, views

app_name = "privacy"
urlpatterns = [
    path("privacy/me/", views.centre, name="centre"),
    path("privacy/me/delete-photos/", views.delete_all_photos, name="delete_all_photos"),
    path("privacy/export/", views.export_page, name="export"),
    path("privacy/export/<uuid:public_id>/status", views.export_status, name="export-status"),
    path("privacy/export/<uuid:public_id>/download", views.export_download, name="export-download"),
    path("privacy/delete/", deletion_views.delete_account, name="delete_account"),
    path("privacy/delete/sign-in-again/", deletion_views.sign_in_again, name="delete_sign_in_again"),
    path("privacy/deletion/<uuid:public_id>/", deletion_views.deletion_receipt, name="deletion_receipt"),
]
