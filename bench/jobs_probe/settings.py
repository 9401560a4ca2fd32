"""Darkroom's own settings plus the probe app, for bench/jobs.py and the workers it starts.

``DJANGO_SETTINGS_MODULE`` is the hook: ``darkroom worker`` already honours
it, so the product carries no benchmark-only code path or task. Everything
else (database, queue backend, consumer options) is darkroom.settings as is.
"""

from __future__ import annotations

from darkroom.settings import *  # noqa: F403
from darkroom.settings import INSTALLED_APPS

# Last, so djhuey's autodiscovery imports darkroom.studio.tasks before ours.
INSTALLED_APPS = [*INSTALLED_APPS, "jobs_probe"]
