"""Records: the quarterly archive, the retention period and a resident's own data (/mydata).

The manual archives the records every quarter and keeps them two years. Here the archive is an export of
the quarter's tickets and events (plus residents and households as they stand) for the office's files, the
retention job removes personal data once a closed matter is older than the site's retention period while
keeping what the reports count, and a resident can ask for everything stored about them.
"""
