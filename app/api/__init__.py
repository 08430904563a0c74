"""certprep over HTTP (FastAPI on uvicorn): ask, analyze, check, recert and programs, with the JSON of the
command line's ``--json``, token sign-in bound to the accounts and roles, and health and readiness.

``create_app(settings)`` builds the application; ``certprep api`` serves it. Nothing here is imported by
the CLI until that command runs, so ``certprep --help`` stays fast.
"""
