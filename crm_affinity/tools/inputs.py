"""What outside input must be before it reaches the database: PostgreSQL stores no NUL and no lone surrogate."""


def clean_text(value):
    """Is ``value`` a string PostgreSQL can store as it is (no NUL, valid UTF-8)?"""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
