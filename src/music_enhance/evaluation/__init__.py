"""Evaluation: enhancement, baselines, scores, report figures, results tables."""
