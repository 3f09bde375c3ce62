project = "tinyhttp"
extensions = ["sphinx.ext.autodoc"]
