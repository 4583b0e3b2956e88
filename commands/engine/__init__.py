"""The offline engine: renders a stack under Pulumi mocks, as the engine would run it.

stack_files reads stack files into config; run executes the program with mocks (the AWS
answers) and a recording monitor; records holds what it keeps. Importing the package does not
load the Pulumi SDK: the run does.
"""

from .records import RenderedResource, StackPreview
from .run import run_program
from .stack_files import PROJECT, PROJECT_ROOT, EngineError, available_stacks, parse_overrides, stack_config

__all__ = [
    "PROJECT",
    "PROJECT_ROOT",
    "EngineError",
    "RenderedResource",
    "StackPreview",
    "available_stacks",
    "parse_overrides",
    "run_program",
    "stack_config",
]
