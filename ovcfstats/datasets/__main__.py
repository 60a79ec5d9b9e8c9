"""``python -m ovcfstats.datasets``: regenerate ``data/sample/`` or write a registry cohort."""

from .sample import _main

_main()
