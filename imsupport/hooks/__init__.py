"""Webhooks (SPEC 15): the adapter that delivers the store's outbox over HTTP."""
