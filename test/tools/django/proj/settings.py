# Settings of the tools suite's Django project: a non-superuser migration
# role ("migrator") owning the database, over the throwaway cluster's socket.
import os

SECRET_KEY = "schemaguard-tools-suite"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "library",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "app_django"),
        "USER": os.environ.get("PGUSER", "migrator"),
        "HOST": os.environ["PGHOST"],
        "PORT": os.environ["PGPORT"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
