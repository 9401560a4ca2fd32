from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "darkroom.privacy"
    label = "privacy"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from darkroom.privacy.policy_versions import record_after_migrate

        # `darkroom migrate` records the policy version a deploy brings (privacy.policy_versions).
        post_migrate.connect(record_after_migrate, sender=self, dispatch_uid="darkroom.privacy.policy")
