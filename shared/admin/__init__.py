"""Administration: system bootstrap, countries, parameters, pause/resume, admins, treasuries."""
