"""Shared test configuration: the hypothesis profiles.

``ci`` (the default) is derandomised — the same examples on every run and machine, so a failure
is reproducible and the suite's run time is fixed. ``dev`` draws many more random examples for a
local search for counter-examples: ``HYPOTHESIS_PROFILE=dev python -m pytest``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=30,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# tests/reference holds the scripts that wrote the fixtures; some need the peer package (e.g.
# dcurves) that the suite itself does not, so they are not imported for doctests
collect_ignore_glob = ["reference/*.py"]
