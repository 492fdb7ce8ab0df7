"""Turn a failed job or a cluster's state into findings with advice.

The findings come from known failure patterns and from the cluster's records, so they are
the same on every machine. A server started with ``--assistant-model PATH`` also loads a local
transformers text-generation model, which writes a short summary from the same evidence.
Nothing is downloaded.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from controlplane.assistant.patterns import match_patterns
from controlplane.models import FAILED, FINISHED_STATES, Cluster, HostComponent, Job, Service, Task

logger = logging.getLogger(__name__)

LOG_TAIL_LINES = 40
# A host whose disk is fuller than this fraction is reported.
DISK_WARNING_FRACTION = 0.9


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> list[str]:
    return [line for line in text.splitlines() if line.strip()][-lines:]


def job_findings(job: Job, logs) -> list[dict]:
    findings = []
    for task in Task.select().where((Task.job == job) & (Task.state == FAILED)).order_by(Task.id):
        log_text = logs.read(job.id, task.id)
        evidence_text = "\n".join([task.message, log_text])
        matches = match_patterns(evidence_text)
        base = {"task": task.id, "host": task.host.hostname, "stage": task.stage.name}
        if not matches:
            findings.append({**base, "problem": "unrecognized-failure", "evidence": task.message or "(no message)", "advice": "No known cause matched. Read the task log's last lines below; the failed Ansible task names the step.", "log_tail": _tail(log_text)})
            continue
        for pattern, line in matches:
            findings.append({**base, "problem": pattern.name, "evidence": line, "advice": pattern.advice, "log_tail": _tail(log_text)})
    return findings


def cluster_findings(cluster: Cluster) -> list[dict]:
    findings = []
    for host in cluster.hosts:
        if host.agent_state != "CONNECTED":
            findings.append({"host": host.hostname, "problem": "agent-disconnected", "evidence": f"last heartbeat {host.last_heartbeat_at}", "advice": "Start the agent on the host or check its network path to the server's gRPC port; jobs cannot run tasks there until it reconnects."})
        metrics = host.metrics or {}
        total = metrics.get("disk_total_bytes") or 0
        if total and metrics.get("disk_used_bytes", 0) / total > DISK_WARNING_FRACTION:
            findings.append({"host": host.hostname, "problem": "disk-almost-full", "evidence": f"{metrics['disk_used_bytes'] / total:.0%} of the disk is used", "advice": "Free disk space before services fail to write data or logs."})

    query = HostComponent.select(HostComponent, Service).join(Service).where(Service.cluster == cluster)
    for item in query:
        if item.state == "STARTED" and item.live_status == "STOPPED":
            findings.append({"host": item.host.hostname, "service": item.service.name, "component": item.component, "problem": "component-down", "evidence": "started by a job but reported stopped by the agent", "advice": f"Read the component's log on the host, then start it again (POST /api/v1/clusters/{cluster.name}/services/{item.service.name}/components/{item.component}/actions with action start)."})

    last = Job.select().where((Job.cluster == cluster) & (Job.state.in_(FINISHED_STATES))).order_by(Job.id.desc()).first()
    if last is not None and last.state == FAILED:
        failed_task = Task.select().where((Task.job == last) & (Task.state == FAILED)).order_by(Task.id).first()
        evidence = failed_task.message if failed_task is not None and failed_task.message else last.message
        findings.append({"job": last.id, "problem": "last-job-failed", "evidence": evidence[:500], "advice": f"GET /api/v1/jobs/{last.id}/advice explains the failed tasks; POST /api/v1/jobs/{last.id}/retry runs the job again from its first failed stage."})
    return findings


class SummaryModel:
    """An optional local transformers model that summarizes findings in a few sentences.

    NOTE: no test loads a real model, because test machines cannot download weights; the
    prompt and the handling of the pipeline's output are untested.
    """

    def __init__(self, model_path: Path | None) -> None:
        self.model_path = model_path
        self._pipeline = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.model_path is not None

    def summarize(self, findings: list[dict]) -> str | None:
        if not self.enabled or not findings:
            return None
        prompt = "You are an operations assistant for a big-data cluster. Findings:\n"
        prompt += "\n".join(f"- {item.get('problem')}: {item.get('evidence')}" for item in findings[:10])
        prompt += "\nIn two sentences, what should the operator do first?\n"
        with self._lock:
            if self._pipeline is None:
                from transformers import pipeline

                logger.info("loading assistant model from %s", self.model_path)
                self._pipeline = pipeline("text-generation", model=str(self.model_path), device=-1)
            output = self._pipeline(prompt, max_new_tokens=80, do_sample=False, return_full_text=False)
        return output[0]["generated_text"].strip()
