"""What runs inside the task, as real modules: gunicorn's config and the index package."""
