"""Team dashboards: a team's named pages of cards, each card a kind from the web app's registry with its own filters."""
