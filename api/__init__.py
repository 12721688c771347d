"""matex HTTP service: `api.app.create_app(settings)`; run it with `matex serve` (see api/README.md)."""
