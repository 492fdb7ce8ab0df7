"""The Stackyard agent: keeps the gRPC stream to the server and runs Ansible roles on its host."""

import os

# ansible-runner starts ansible-playbook with pexpect, which forks this multi-threaded process.
# gRPC's fork handlers are unsafe there, so they are switched off before anything imports grpc.
# NOTE: this only takes effect when the agent package is imported before grpc.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
