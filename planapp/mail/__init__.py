"""E-mail through a transactional outbox: queued with the change that caused it, sent by the scheduler's
dispatcher over SMTP with retries, visible to admins."""
