"""Views of the auth-server /v1 API, one module per area of the API document."""
