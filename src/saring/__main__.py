from saring.cli import app

app()
