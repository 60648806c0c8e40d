def test_random_bytes(client):
    r = client.post("/v1/get_random_bytes", content_type="application/json")
    assert r.status_code == 200
    assert len(r.json()["data"]) == 64
