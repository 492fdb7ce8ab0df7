"""Advice for a failed job from its task logs, and for a cluster from its state."""

from __future__ import annotations

from controlplane.models import Cluster, Host, Job, Stage, Task

PORT_CLASH_LOG = """TASK [bigtop_zookeeper : Start the ZooKeeper server] ***
changed: [localhost]
TASK [bigtop_zookeeper : Wait for the client port] ***
fatal: [localhost]: FAILED! => {"changed": false, "elapsed": 120, "msg": "Timeout when waiting for 127.0.0.1:2181"}
PLAY RECAP ***
localhost : ok=5 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0
"""


def _failed_job(app_server, message: str, log: str) -> Job:
    cluster = Cluster.create(name="prod", stack_name="bigtop", stack_version="3.3")
    host = Host.get(Host.hostname == "node-01")
    host.cluster = cluster
    host.save()
    job = Job.create(cluster=cluster, name="Add service ZooKeeper", kind="add_service", state="FAILED")
    stage = Stage.create(job=job, position=0, name="start zookeeper_server", service="zookeeper", component="zookeeper_server", command="start", state="FAILED")
    task = Task.create(job=job, stage=stage, host=host, state="FAILED", message=message)
    logs = app_server.context.extras["logs"]
    for number, line in enumerate(log.splitlines(), start=1):
        logs.append(job.id, task.id, number, line)
    return job


def test_job_advice_names_port_timeout(api, app_server, hosts):
    job = _failed_job(app_server, "task 'Wait for the client port' failed: Timeout when waiting for 127.0.0.1:2181", PORT_CLASH_LOG)
    response = api.call("GET", f"/jobs/{job.id}/advice")
    assert response.status_code == 200, response.json
    findings = response.json["findings"]
    assert [item["problem"] for item in findings] == ["port-timeout"]
    assert findings[0]["host"] == "node-01"
    assert "127.0.0.1:2181" in findings[0]["evidence"]
    assert "PLAY RECAP ***" in findings[0]["log_tail"]
    assert response.json["summary"] is None


def test_job_advice_unknown_failure_shows_tail(api, app_server, hosts):
    job = _failed_job(app_server, "exit code 3", "something odd happened\n")
    findings = api.call("GET", f"/jobs/{job.id}/advice").json["findings"]
    assert findings[0]["problem"] == "unrecognized-failure"
    assert findings[0]["log_tail"] == ["something odd happened"]


def test_cluster_advice_reports_disconnected_agent(api, hosts):
    api.call("POST", "/clusters", {"name": "prod", "hosts": ["node-01", "node-02"]})
    Host.update(agent_state="DISCONNECTED").where(Host.hostname == "node-02").execute()
    findings = api.call("GET", "/clusters/prod/advice").json["findings"]
    assert {(item["problem"], item["host"]) for item in findings} == {("agent-disconnected", "node-02")}


def test_cluster_advice_ignores_failure_before_success(api, app_server, hosts):
    job = _failed_job(app_server, "task 'Wait for the client port' failed: Timeout when waiting for 127.0.0.1:2181", PORT_CLASH_LOG)
    findings = api.call("GET", "/clusters/prod/advice").json["findings"]
    assert [(item["problem"], item["job"]) for item in findings] == [("last-job-failed", job.id)]
    assert "Timeout when waiting" in findings[0]["evidence"]

    Job.create(cluster=job.cluster, name="Start zookeeper", kind="service_action", state="SUCCESSFUL")
    assert api.call("GET", "/clusters/prod/advice").json["findings"] == []


def test_retry_rejected_after_later_job(api, app_server, hosts):
    job = _failed_job(app_server, "exit code 3", "boom\n")
    later = Job.create(cluster=job.cluster, name="Stop zookeeper", kind="service_action", state="SUCCESSFUL")
    response = api.call("POST", f"/jobs/{job.id}/retry")
    assert response.status_code == 409
    assert f"job {later.id} was created" in response.json["message"]
    assert Job.get_by_id(job.id).state == "FAILED"
