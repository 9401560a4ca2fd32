from __future__ import annotations

from django.urls import path

from darkroom.billing import views, webhooks

app_name = "billing"
urlpatterns = [
    path("billing/", views.overview, name="overview"),
    path("billing/buy/<slug:code>/", views.buy, name="buy"),
    path("billing/pro/", views.subscribe, name="subscribe"),
    path("billing/portal/", views.portal, name="portal"),
    path("billing/success/", views.success, name="success"),
    path("billing/cancel/", views.cancel, name="cancel"),
    path("billing/orders/", views.orders, name="orders"),
    path("billing/orders/<uuid:public_id>/", views.receipt, name="receipt"),
    path("billing/test-checkout/<str:token>/", views.test_checkout, name="test_checkout"),
    path("billing/test-portal/", views.test_portal, name="test_portal"),
    path("billing/stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
