from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "renkei.core"
    label = "core"
    verbose_name = "共通・参照データ"
