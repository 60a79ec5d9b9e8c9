"""``python -m ovcfstats.datasets``: regenerate ``ovcfstats/datasets/sample_data/`` or write a registry cohort."""

from .sample import _main

_main()
