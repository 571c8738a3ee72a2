"""The supervisor's dashboard: a Dash multi-page app over the servicelevel store."""
