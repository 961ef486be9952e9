"""`python -m pgflowstate.migrator ...` is `pgflowstate migrate-sqlite ...`."""

from pgflowstate.cli.migrate import migrate_sqlite

migrate_sqlite(prog_name="python -m pgflowstate.migrator")
