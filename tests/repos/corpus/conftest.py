# The corpus holds sample repositories for the detector; their own tests are data, not tests.
collect_ignore_glob = ["*"]
