"""Situation assessment data: the indicator catalog, regions and sectors, values collected from agencies through
tasks and imports, and the explorer."""
