from django.urls import path

from darkroom.notify import views

app_name = "notify"
urlpatterns = [path("dev/sms/", views.dev_sms, name="dev_sms")]
