"""Stage 0: task specs (``tasks/*.yaml``) and the task registry."""
