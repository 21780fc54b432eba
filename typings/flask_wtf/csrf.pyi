from werkzeug.exceptions import BadRequest

class CSRFError(BadRequest):
    description: str

def generate_csrf(secret_key: str | None = ..., token_key: str | None = ...) -> str: ...
