"""matex: material extraction for benefit claims."""
