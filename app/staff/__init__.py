"""Plaza's staff: the moderation console, sanctions on participants, appeals, the audit log."""
