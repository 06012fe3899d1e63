"""The project's jobs: each ``ray_jobs/<name>.py`` is ``run(config) -> report`` plus a
``main(argv)`` that only parses (``python ray_jobs/<name>.py --help``, or
``python -m ray_jobs.<name>``). Importable as ``ray_jobs.<name>``, so no job shadows a
library of the same name (``evaluate``)."""
