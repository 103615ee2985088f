"""Local fakes of outside services for the tests."""
