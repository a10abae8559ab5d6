"""The course-package subsystem: discover (package), check (checker, fields), render (render) and import (importer).

No request code lives here: the CLI and services call in, within an app context.
"""
