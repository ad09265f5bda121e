"""The analysis page of a plan: location quotients, shift-share and the plan's input-output table, with charts."""
