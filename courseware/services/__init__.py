"""Use cases as plain functions. They flush; the caller commits. They never touch request, session or flash."""
