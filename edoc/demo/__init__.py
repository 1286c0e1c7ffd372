"""``edoc demo``: a small agency with people, keys, letters and a day of work, built through
the same services as real use."""
