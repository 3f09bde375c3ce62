"""What test directories share: fixture plugins (registered in tests/conftest.py) and factory
plumbing. Test modules never import another directory's conftest; they import from here, from
`tests.helpers` or from an app's `tests/<app>/factories.py`."""
