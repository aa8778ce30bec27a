"""Running models over tasks and scoring their predictions."""
