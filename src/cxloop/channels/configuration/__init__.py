"""Channel settings an admin stores in the database over the environment's (docs/channels.md, "Settings in the app")."""
