"""The compose file describes the topology tests/scaled runs (names, variables, wiring)."""

from __future__ import annotations

from tests.scaled.cluster import Cluster, compose


def test_compose_wires_the_tiers_through_nginx_like_the_scaled_test(cluster: Cluster) -> None:
    services = compose()["services"]
    tested_bot_env = cluster.bot_env()
    for name in ("rasa-1", "rasa-2"):
        env = services[name]["environment"]
        assert set(env) <= set(tested_bot_env), set(env) - set(tested_bot_env)
        assert env["ACTION_ENDPOINT_URL"] == "http://nginx:5055/webhook"
        assert "deploy/endpoints.scaled.yml" in services[name]["command"]
    for name in ("gateway-1", "gateway-2"):
        env = services[name]["environment"]
        assert env["RASA_URL"] == "http://nginx:5005" and env["ACTIONS_URL"] == "http://nginx:5055"
        assert (
            env["TROLYAO_STATE_DB_URL"]
            == env["TROLYAO_DB_URL"]
            == services["actions-1"]["environment"]["TROLYAO_DB_URL"]
        )
        assert {"TROLYAO_DB_URL", "TROLYAO_STATE_DB_URL", "RASA_URL", "ACTIONS_URL"} <= set(cluster.gateway_env(name))
    assert "nginx" not in str(services["gateway-1"].get("depends_on")), "nginx starts last: no cycle"
