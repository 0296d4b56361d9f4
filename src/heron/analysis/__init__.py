"""Analyses: importing this package registers every query kind."""

from heron.analysis import cohorts as cohorts
from heron.analysis import funnels as funnels
from heron.analysis import heatmap as heatmap
from heron.analysis import lifecycle as lifecycle
from heron.analysis import paths as paths
from heron.analysis import retention as retention
from heron.analysis import stickiness as stickiness
from heron.analysis import trends as trends
