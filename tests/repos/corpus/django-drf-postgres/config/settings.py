import environ

env = environ.Env()
DATABASES = {"default": env.db("DATABASE_URL")}
CELERY_BROKER_URL = env("REDIS_URL")
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "shop"]
