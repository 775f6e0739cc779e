from . import preferences
