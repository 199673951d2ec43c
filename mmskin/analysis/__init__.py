"""Offline analysis of runs and files, apart from the metrics a config's
evaluator uses (:mod:`mmskin.evaluation`): scoring of prediction files as the
official ISIC scorer does, paired comparison of two runs, the paper's own
tables and their reproduction from runs, the lesion-area baseline and the
summary of a run's per-image results.

Nothing here is registered: the tools import the module they need.
"""
