"""dialogs/flows."""
