"""gtready: readiness tracking for hospitals setting up commercial gene therapy."""
