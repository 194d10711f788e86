"""Callback follow-ups (回访): the record, the policy, the job that asks, and what an answer causes."""
