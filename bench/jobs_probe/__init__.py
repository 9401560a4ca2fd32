"""bench/jobs.py's probe: a Django app that only its workers load (see settings.py here).

It holds the benchmark's bare Huey no-op task and the timestamps the
benchmark reads from inside the worker. Nothing in darkroom imports it.
"""
