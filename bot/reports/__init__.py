"""What fans asked and how they were served, for the departments: `bot report` and the console's
report page draw on the same figures (bot.reports.figures) over the same rows (bot.reports.rows)."""
