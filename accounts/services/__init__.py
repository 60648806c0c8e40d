"""Domain logic of the auth server: each public function is one use case, run in a transaction."""
