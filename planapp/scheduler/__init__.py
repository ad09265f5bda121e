"""The scheduler process: APScheduler in its own process, one leader, every run recorded once."""
