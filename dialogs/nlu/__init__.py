"""dialogs/nlu."""
