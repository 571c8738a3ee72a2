"""What people read away from the dashboard: the weekly email, its charts and text, alerts."""
