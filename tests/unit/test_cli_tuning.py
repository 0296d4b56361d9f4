"""``serve`` and ``import`` tune their process: GIL switch interval and GC thresholds."""

from __future__ import annotations

import gc
import sys

from heron.cli.tuning import GC_THRESHOLDS, SWITCH_INTERVAL_SECONDS, tune_process


def test_tune_process_sets_the_gil_interval_and_gc_thresholds() -> None:
    before = (sys.getswitchinterval(), gc.get_threshold())
    try:
        tune_process()
        assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        sys.setswitchinterval(before[0])
        gc.set_threshold(*before[1])
