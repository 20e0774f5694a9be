"""Stage 03, the ctDNA analyses (notebook 03_ctdna): estimates, tables and figures.

`analyses` computes the primary, sensitivity, time-to-event and subgroup analyses and writes
`estimates.csv`; `figures` draws them; `labels` names their keys for readers. The notebook uses
`from her2cr import ctdna` and `from her2cr.ctdna import figures`.

The functions of `analyses` are imported on first use, not with the package: the report needs
only `labels`, and importing `analyses` brings scipy (through her2cr.stats), about a second in a
fresh kernel.
"""

from importlib import import_module

__all__ = [
    "all_results", "estimates_long", "estimates_table", "notes", "positive_draws",
    "primary_analysis", "summary_table", "write_tables",
]
_SUBMODULES = ("analyses", "figures", "labels")


def __getattr__(name: str):
    if name in __all__:
        from her2cr.ctdna import analyses

        return getattr(analyses, name)
    if name in _SUBMODULES:
        return import_module(f"her2cr.ctdna.{name}")
    raise AttributeError(f"module 'her2cr.ctdna' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
