"""`pgflowstate ui`: serve the web inspector (pgflowstate.ui, the `ui` extra) until Ctrl-C."""

from __future__ import annotations

from uuid import UUID

import click

from .common import EXIT_USAGE, cli_errors, dsn_option, fail, resolve_dsn, tenant_context, tenant_options


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port (0: a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the inspector in a browser.")
@click.option("--allow-actions", is_flag=True,
              help="Allow recover, fork and delete (each confirmed); read-only without it.")
@dsn_option
@tenant_options
def ui(host: str, port: int, open_browser: bool, allow_actions: bool, dsn: str | None,
       **tenant: UUID | None) -> None:
    """Serve the web inspector on this machine until Ctrl-C.

    Prints a URL with a random token: anyone without it gets 403. Acts as the tenant given,
    else across tenants (an admin DSN)."""
    try:  # Starlette, Jinja2 and uvicorn come with the ui extra only
        from .. import ui as inspector
    except ImportError as exc:
        fail(f"the inspector needs its extra: pip install 'pgflowstate[ui]' ({exc.name} is missing)", EXIT_USAGE)
    context = tenant_context(**tenant)
    dsn = resolve_dsn(dsn)
    with cli_errors():
        try:
            inspector.serve(dsn, context, host=host, port=port, open_browser=open_browser,
                            allow_actions=allow_actions,
                            ready=lambda address: click.echo(f"pgflowstate ui: {address}"))
        except inspector.ServeError as exc:
            fail(str(exc), EXIT_USAGE)
        except KeyboardInterrupt:
            pass
