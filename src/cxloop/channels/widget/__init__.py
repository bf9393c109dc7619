"""The web and in-app widget: one embed script, a feedback button, proactive prompts the server decides on."""
