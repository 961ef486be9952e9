"""`python -m pgflowstate.validator --check-all` is `pgflowstate validate --check-all`."""

from pgflowstate.cli.validate import validate

validate(prog_name="python -m pgflowstate.validator")
