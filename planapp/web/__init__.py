"""HTTP helpers shared by every blueprint."""
