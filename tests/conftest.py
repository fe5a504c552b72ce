"""Settings every test file gets, whichever files run: the Hypothesis profile.

Loaded here rather than by a helper module, so a test file run alone draws the
same examples as in the full suite: 40 per test, the same ones every run
(derandomized, so a failure reproduces), and no deadline (a first call can
spend seconds compiling a kernel).
"""

from hypothesis import settings

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("ci")
