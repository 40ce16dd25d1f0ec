"""The end-to-end integration test (`make integration-test`): real servers, real services."""
