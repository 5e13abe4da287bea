"""Statistics after a run: results, DataFrames and Chrome-trace timelines."""

from .result import Result, build_result
from .timeline import chrome_trace, write_chrome_trace

__all__ = ["Result", "build_result", "chrome_trace", "write_chrome_trace"]
