"""`pgflowstate up`, `down`, `status` and `url`: the embedded local server."""

from __future__ import annotations

import click

from .. import server
from .common import cli_errors, emit, json_option


@click.command("up")
@json_option
def up(as_json: bool) -> None:
    """Start the local PostgreSQL (initialised and given the schema on first use)."""
    with cli_errors():
        emit(server.up(), as_json, format_server)


@click.command("down")
@json_option
def down(as_json: bool) -> None:
    """Stop the local PostgreSQL; its data stays."""
    with cli_errors():
        emit(server.down(), as_json, format_server)


@click.command("status")
@json_option
def server_status(as_json: bool) -> None:
    """Whether the local PostgreSQL runs, where its data lives, and its URL."""
    with cli_errors():
        emit(server.status(), as_json, format_server)


@click.command("url")
def server_url() -> None:
    """Print the local PostgreSQL's URL (starting it if needed), e.g. for DATABASE_URL."""
    with cli_errors():
        click.echo(server.up()["url"])


def format_server(r: dict) -> str:
    state = "running" if r["running"] else ("stopped" if r["initialised"] else "not initialised")
    lines = [f"local server: {state}", f"data:         {r['home']}"]
    if r["url"]:
        lines.append(f"url:          {r['url']}")
    return "\n".join(lines)
