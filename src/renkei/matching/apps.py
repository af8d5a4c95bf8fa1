from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "renkei.matching"
    label = "matching"
    verbose_name = "マッチング"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401, PLC0415 — connects the index-update receivers
