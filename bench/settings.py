"""The project's settings for hot_path.py, with the bench's URL map (a bare DRF view beside the API)."""
from fxa_project import settings as _project

globals().update({name: getattr(_project, name) for name in dir(_project) if name.isupper()})

ROOT_URLCONF = "bench.urls"
