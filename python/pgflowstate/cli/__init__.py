"""The `pgflowstate` command: the top layer, presenting what the library and the SQL functions
return. One module per topic; common.py holds what every command shares (exit codes, one-line
errors, options, one connection per command)."""

from __future__ import annotations

import click

from . import bench, demo, flows, lifecycle, migrate, schema, server, stats, ui, validate, watch
from .migrate import migrate_sqlite

__all__ = ["main", "migrate_sqlite"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pgflowstate")
def main() -> None:
    """PostgreSQL as the single source of truth for AI-agent flow state."""


for command in (
    schema.db_group, schema.docs,
    server.up, server.down, server.server_status, server.server_url,
    migrate.migrate_sqlite, validate.validate,
    flows.show, flows.history, flows.diff, flows.checkpoint, flows.recover,
    lifecycle.ls, lifecycle.fork, lifecycle.delete, lifecycle.retention_group,
    stats.stats, watch.watch, ui.ui, demo.demo, bench.bench_command,
):
    main.add_command(command)
