from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "foodhub.demo"
    label = "demo"
