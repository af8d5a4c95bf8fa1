from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "renkei.catalog"
    label = "catalog"
    verbose_name = "シーズ・機器・支援施策"
    default_auto_field = "django.db.models.BigAutoField"
