"""`pgflowstate ui`: a local web inspector for flows (the ``ui`` extra: Starlette, Jinja2, uvicorn).

It calls the flowstate functions through FlowStateStore like any client and reads no table:
overview, a flow's timeline, its state at any version, diffs between any two versions,
checkpoints, quarantine and legacy history; recovery (and, with the lifecycle functions, fork and
delete) only when started with ``allow_actions``.
"""

from .app import ServeError, create_app, run, serve

__all__ = ["ServeError", "create_app", "run", "serve"]
