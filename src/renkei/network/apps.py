from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "renkei.network"
    label = "network"
    verbose_name = "支援ネットワーク"
