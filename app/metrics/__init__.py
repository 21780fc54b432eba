"""What Plaza measures for Prometheus: counts each process records as things happen
(:mod:`.recorded`), state read from the database when scraped (:mod:`.state`), and how
they are exposed, to whom (:mod:`.exposition`)."""
