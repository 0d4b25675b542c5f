"""Settings for the whole suite.

Hypothesis' default 200 ms deadline per example is a time limit in a unit test: the suite
runs on every core next to real servers and browsers, where one example may take longer
without anything being wrong. Speed is measured in bench/, never asserted here.
"""

from hypothesis import settings

settings.register_profile("onewindow", deadline=None)
settings.load_profile("onewindow")
