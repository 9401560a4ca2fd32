from django.urls import path

from darkroom.notify import views
from darkroom.notify.email.webhooks import ses_tracking

app_name = "notify"
urlpatterns = [
    path("notifications/", views.centre, name="centre"),
    path("notifications/count", views.count, name="count"),
    path("notifications/read-all", views.mark_all_read, name="read-all"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("notifications/<uuid:public_id>/open", views.open_notification, name="open"),
    path("notifications/<uuid:public_id>/read", views.mark_read, name="read"),
    path("notify/ses/tracking/", ses_tracking, name="ses-tracking"),
    path("dev/sms/", views.dev_sms, name="dev_sms"),
    path("dev/email/", views.dev_email, name="dev_email"),
    path("dev/email/<uuid:public_id>/", views.dev_email_detail, name="dev_email_detail"),
]
