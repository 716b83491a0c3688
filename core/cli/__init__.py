"""The command line (`oligoplan SUBCOMMAND ...`): one module per subcommand, the shared argument
types in :mod:`core.cli.arg_types`, the parser and the error boundary in :mod:`core.cli.main`."""

from core.cli.main import (  # noqa: F401 - the package's public names
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    NUMERIC_OPTIONS,
    CliParser,
    build_parser,
    command_name,
    finite_number,
    join_negative_values,
    run,
)
from core.cli.inspect import inspect_folder  # noqa: F401, E402 - `oligoplan inspect --json`'s document
