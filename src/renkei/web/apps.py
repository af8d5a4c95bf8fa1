from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "renkei.web"
    label = "web"
    verbose_name = "画面"
