"""`python -m pgflowstate ...` runs the CLI."""

from pgflowstate.cli import main

main(prog_name="pgflowstate")
