from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "renkei.cases"
    verbose_name = "相談案件"
    default_auto_field = "django.db.models.BigAutoField"
