"""Foundation tests: error format, request edge, health, worker, settings, admin and dev tools."""
