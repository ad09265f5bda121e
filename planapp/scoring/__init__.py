"""The criteria scoring matrix of a plan's analysis stage: candidate driving cores, criteria with weights set
directly or by AHP pairwise comparison, and suggestions of candidates from the province's data."""
