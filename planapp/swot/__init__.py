"""SWOT input from stakeholders, merged and weighted by supervisors into internal and external factor
evaluations (IFE/EFE)."""
