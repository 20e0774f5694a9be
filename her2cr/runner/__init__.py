"""Running a cut: the pipeline of notebooks (`pipeline`), their kernels (`kernels`), the
manifest check (`verify`) and `make bench` (`bench`). Only the command line imports it.
"""

from her2cr.runner.pipeline import run_cut
from her2cr.runner.verify import verify

__all__ = ["run_cut", "verify"]
