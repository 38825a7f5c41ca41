"""The long-running daemon: scheduler, HTTP endpoints, Slack, alerts, the outbox."""
