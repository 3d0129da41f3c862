"""The command line, one thin module per command: ``add_arguments(parser)`` (cheap: no torch
import) and ``run(args) -> int``, which turns the arguments into a config, makes one library call
and prints. The library (everything outside this package) parses no arguments and prints nothing."""
