"""kwsc: a keyword-spotting dataset compiler for embedded devices.

The features a model is trained on are computed by the same fixed-point C code that runs on the
Cortex-M device; :class:`kwsc.Frontend` is its Python binding.
"""

from kwsc.config import ConfigError, FrontendConfig
from kwsc.frontend import Frontend, QuantParams, process_batch, to_int16

__all__ = ["ConfigError", "Frontend", "FrontendConfig", "QuantParams", "process_batch", "to_int16"]
__version__ = "0.1.0"
