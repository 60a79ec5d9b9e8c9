"""``python -m ovcfstats.datasets``: regenerate the bundled sample or write a registry cohort."""

from .sample import _main

_main()
