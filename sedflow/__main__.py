"""``python -m sedflow``: the ``sedflow`` command, for where the script is not on the PATH."""

from sedflow_cli.main import main

main(prog_name="sedflow")
