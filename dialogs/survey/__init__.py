"""Satisfaction survey campaigns (满意度调查): records, targeting, sending, results and comment themes.

The manual asks for a survey at least once a year over ten dimensions (heating … staff attitude), reported
as forms returned, the overall and per-dimension satisfaction rate and the common opinions. A campaign
targets households (one form per household), goes out through the scheduler within a rate limit, reminds
once, and is answered in the chat with buttons (`dialogs.flows.survey`).
"""
