"""JSON Schema export, compatibility checks and the AsyncAPI document."""
