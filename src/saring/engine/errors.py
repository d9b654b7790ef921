"""Errors of a run that users see as a message, not a traceback."""


class RunError(RuntimeError):
    """A run that cannot start or finish, with the reason."""
