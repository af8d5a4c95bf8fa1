from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "renkei.companies"
    label = "companies"
    verbose_name = "企業"
