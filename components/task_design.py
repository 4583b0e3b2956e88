"""The task's design, as one namespace for the component and the local run.

The code lives in the package components/task/ (see its docstring); this module re-exports
it so that `from components import task_design` keeps working.
"""

from components.task.containers import *  # noqa: F401,F403
from components.task.credentials import *  # noqa: F401,F403
from components.task.design import *  # noqa: F401,F403
from components.task.nginx import *  # noqa: F401,F403
from components.task.pypiserver_process import *  # noqa: F401,F403
