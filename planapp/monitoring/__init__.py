"""Monitoring: rounds of progress reports for plans in the monitoring stage, at each Jalali quarter or the
plan's own period."""
