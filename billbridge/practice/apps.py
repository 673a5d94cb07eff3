from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "billbridge.practice"
    label = "practice"
