"""Topology rules: clusters, hosts, placement cardinality and required services."""

from __future__ import annotations

from controlplane.models import Job, Service


def test_cluster_create_expands_host_patterns(api, hosts):
    response = api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-0[1-3]"]})
    assert response.status_code == 201, response.json
    assert response.json["hosts"] == ["node-01", "node-02", "node-03"]


def test_cluster_name_taken_conflicts(api, hosts):
    assert api.call("POST", "/clusters", {"name": "prod"}).status_code == 201
    response = api.call("POST", "/clusters", {"name": "prod"})
    assert response.status_code == 409
    assert response.json["field"] == "name"


def test_host_in_two_clusters_conflicts(api, hosts):
    assert api.call("POST", "/clusters", {"name": "one", "hosts": ["node-01"]}).status_code == 201
    response = api.call("POST", "/clusters", {"name": "two", "hosts": ["node-01"]})
    assert response.status_code == 409
    assert "already belongs to cluster 'one'" in response.json["message"]
    assert api.call("GET", "/clusters/two").status_code == 404, "a rejected create must leave no cluster behind"


def test_unknown_host_is_not_found(api, hosts):
    response = api.call("POST", "/clusters", {"name": "prod", "hosts": ["ghost-01"]})
    assert response.status_code == 404
    assert "ghost-01" in response.json["message"]


def test_duplicate_hosts_rejected_case_insensitively(api, hosts):
    response = api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01", "NODE-01"]})
    assert response.status_code == 400
    assert "listed twice" in response.json["message"]


def test_invalid_cluster_name_names_field(api):
    response = api.call("POST", "/clusters", {"name": "Bad Name!"})
    assert response.status_code == 400
    assert "name" in response.json["errors"]["json"]


def test_cardinality_violation_names_component(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": hosts[:3]})
    response = api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_client": ["node-01"]}})
    assert response.status_code == 400
    assert "zookeeper_server" in response.json["message"]
    assert Service.select().count() == 0
    assert Job.select().count() == 0


def test_placement_on_host_outside_cluster_conflicts(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    response = api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_server": ["node-02"], "zookeeper_client": ["node-01"]}})
    assert response.status_code == 409
    assert "not in cluster 'prod'" in response.json["message"]


def test_missing_required_service_conflicts(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    response = api.call("POST", "/clusters/prod/services", {"name": "kafka", "components": {"kafka_broker": ["node-01"]}})
    assert response.status_code == 409
    assert "requires ['zookeeper']" in response.json["message"]


def test_bad_config_value_names_property(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    body = {
        "name": "zookeeper",
        "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]},
        "configs": {"zoo.cfg": {"tickTime": "fast"}},
    }
    response = api.call("POST", "/clusters/prod/services", body)
    assert response.status_code == 400
    assert "tickTime" in response.json["message"]
    assert "fast" in response.json["message"]
    assert Service.select().count() == 0


def test_add_service_creates_staged_job(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": hosts[:3]})
    body = {"name": "zookeeper", "components": {"zookeeper_server": hosts[:3], "zookeeper_client": hosts[:1]}}
    response = api.call("POST", "/clusters/prod/services", body)
    assert response.status_code == 202, response.json
    job = response.json
    assert job["state"] == "PENDING"
    assert [stage["name"] for stage in job["stages"]] == [
        "install zookeeper_server",
        "install zookeeper_client",
        "configure zookeeper_server",
        "configure zookeeper_client",
        "start zookeeper_server",
        "check zookeeper_server",
    ]
    assert [len(stage["tasks"]) for stage in job["stages"]] == [3, 1, 3, 1, 3, 3]
    assert job["stages"][2]["depends_on"] == [0, 1]
    assert job["stages"][4]["depends_on"] == [2, 3]


def test_service_added_twice_conflicts(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    body = {"name": "zookeeper", "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]}}
    assert api.call("POST", "/clusters/prod/services", body).status_code == 202
    response = api.call("POST", "/clusters/prod/services", body)
    assert response.status_code == 409


def test_cluster_delete_only_when_empty(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    response = api.call("DELETE", "/clusters/prod")
    assert response.status_code == 409
    assert "detach them first" in response.json["message"]
    assert api.call("DELETE", "/clusters/prod/hosts/node-01").status_code == 204
    assert api.call("DELETE", "/clusters/prod").status_code == 204
    assert api.call("GET", "/clusters/prod").status_code == 404


def test_host_with_components_cannot_detach(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]}})
    response = api.call("DELETE", "/clusters/prod/hosts/node-01")
    assert response.status_code == 409
    assert "zookeeper/zookeeper_server" in response.json["message"]


def test_unknown_action_lists_choices(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]}})
    response = api.call("POST", "/clusters/prod/services/zookeeper/actions", {"action": "explode"})
    assert response.status_code == 400
    assert "restart" in response.json["message"]


def _add_zookeeper(api):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]}})


def test_action_parameter_must_be_service_variable(api, hosts):
    _add_zookeeper(api)
    response = api.call("POST", "/clusters/prod/services/zookeeper/actions", {"action": "check", "parameters": {"stackyard_root_dir": "/"}})
    assert response.status_code == 400
    assert response.json["field"] == "parameters.stackyard_root_dir"


def test_action_parameter_cannot_shadow_config(api, hosts):
    _add_zookeeper(api)
    response = api.call("POST", "/clusters/prod/services/zookeeper/actions", {"action": "check", "parameters": {"zookeeper_tickTime": 1}})
    assert response.status_code == 400
    assert "config property" in response.json["message"]


def test_action_parameters_reach_job(api, hosts):
    _add_zookeeper(api)
    response = api.call("POST", "/clusters/prod/services/zookeeper/actions", {"action": "check", "parameters": {"zookeeper_note": "{{ lookup('pipe', 'id') }}"}})
    assert response.status_code == 202, response.json
    assert Job.get_by_id(response.json["id"]).params["variables"] == {"zookeeper_note": "{{ lookup('pipe', 'id') }}"}


def test_deeply_nested_body_rejected(api):
    body = "[" * 100000 + "]" * 100000
    response = api.client.post("/api/v1/clusters", data=body, content_type="application/json", headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 400
    assert "nested too deeply" in response.json["message"]
    assert api.call("GET", "/clusters").status_code == 200


def test_stack_version_defaults_to_newest(api):
    response = api.call("POST", "/clusters", {"name": "infra", "stack_name": "infra"})
    assert response.status_code == 201, response.json
    assert response.json["stack_version"] == "1.0"


def test_root_dir_fixed_while_services_exist(api, hosts):
    _add_zookeeper(api)
    response = api.call("PATCH", "/clusters/prod", {"root_dir": "/srv/other"})
    assert response.status_code == 409
    assert response.json["field"] == "root_dir"
    assert api.call("GET", "/clusters/prod").json["root_dir"] == "/var/lib/stackyard"
    assert api.call("PATCH", "/clusters/prod", {"description": "still editable"}).status_code == 200


def test_config_change_without_difference_rejected(api, hosts):
    _add_zookeeper(api)
    response = api.call("POST", "/clusters/prod/services/zookeeper/configs", {"configs": {"zoo.cfg": {"tickTime": 2000}}, "message": "same"})
    assert response.status_code == 400
    assert "no property differs" in response.json["message"]

    revert = api.call("POST", "/clusters/prod/services/zookeeper/configs/revert", {"version": 1})
    assert revert.status_code == 409
    assert len(api.call("GET", "/clusters/prod/services/zookeeper/configs").json) == 1


def _add_kafka(api):
    body = {
        "name": "kafka",
        "components": {"kafka_broker": ["node-01", "node-02"]},
        "configs": {"kafka-install": {"tarball_url": "file:///srv/kafka.tgz", "tarball_sha256": "0" * 64}},
    }
    response = api.call("POST", "/clusters/prod/services", body)
    assert response.status_code == 202, response.json


def test_cluster_stop_orders_services(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01", "node-02"]})
    api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]}})
    _add_kafka(api)

    stop = api.call("POST", "/clusters/prod/actions", {"action": "stop"})
    assert stop.status_code == 202, stop.json
    stages = {stage["name"]: stage for stage in stop.json["stages"]}
    assert set(stages) == {"stop kafka_broker", "stop zookeeper_server"}
    assert stages["stop zookeeper_server"]["depends_on"] == [stages["stop kafka_broker"]["position"]]
    assert stages["stop kafka_broker"]["depends_on"] == []


def test_cluster_restart_starts_zookeeper_first(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01", "node-02"]})
    api.call("POST", "/clusters/prod/services", {"name": "zookeeper", "components": {"zookeeper_server": ["node-01"], "zookeeper_client": ["node-01"]}})
    _add_kafka(api)

    restart = api.call("POST", "/clusters/prod/actions", {"action": "restart"}).json
    names = [stage["name"] for stage in restart["stages"]]
    assert names == ["stop kafka_broker", "stop zookeeper_server", "start kafka_broker", "start zookeeper_server"]
    by_name = {stage["name"]: stage for stage in restart["stages"]}
    assert by_name["start kafka_broker"]["depends_on"] == sorted([0, 1, by_name["start zookeeper_server"]["position"]])
    assert by_name["start kafka_broker"]["tasks"][0]["host"] == "node-01"


def test_cluster_action_needs_services(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01"]})
    response = api.call("POST", "/clusters/prod/actions", {"action": "start"})
    assert response.status_code == 409
    assert "no services" in response.json["message"]
